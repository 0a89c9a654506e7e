from cli.main import grants

grants()
