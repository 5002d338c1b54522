from darkroom.cli.main import app

app()
