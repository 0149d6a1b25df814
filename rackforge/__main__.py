from rackforge.cli.app import main

main()
