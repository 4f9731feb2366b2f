from authshift.cli.main import main

main()
