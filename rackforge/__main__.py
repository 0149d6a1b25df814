from rackforge.cli import main

main()
