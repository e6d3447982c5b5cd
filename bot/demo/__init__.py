"""The offline demo: the real bot against the emulator, with scripted patients.

Top level, like the CLI: imports anything of the bot and the emulator."""
