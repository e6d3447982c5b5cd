"""The offline demo: the real bot against the emulator, with scripted patients (script), set up
(setup, options), shown (display, summary, output), judged (outcome) and played (run).

Top level below bot/__main__.py: imports any other package of the bot, and the emulator."""
