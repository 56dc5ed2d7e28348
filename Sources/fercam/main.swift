import FercamCLI

Fercam.main()
