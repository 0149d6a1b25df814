"""`rackforge rules`."""
from __future__ import annotations

from typing import Optional

import typer

from rackforge.cli.app import usage


def register(app: typer.Typer) -> None:
    app.command()(rules)


def rules(
    code: Optional[str] = typer.Argument(None, metavar="RULE", help="A rule code (RF101) or name to explain."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json or markdown."),
):
    """List the rules, or explain one."""
    from rackforge.rules import all_rules
    from rackforge.gen.ruledocs import rule_json, rule_markdown, rules_table

    reg = all_rules()
    if code is None:
        if fmt == "json":
            import json

            print(json.dumps([rule_json(r) for r in reg.values()], indent=2))
        elif fmt == "markdown":
            print(rules_table(reg), end="")
        else:
            for r in reg.values():
                print(f"{r.code}  {r.severity!s:<8} {r.name:<38} {r.summary}")
        return
    r = reg.get(code.upper()) or next((x for x in reg.values() if x.name == code), None)
    if r is None:
        usage(f"unknown rule {code!r}; 'rackforge rules' lists them")
    if fmt == "json":
        import json

        print(json.dumps(rule_json(r), indent=2))
    else:
        print(rule_markdown(r), end="")
