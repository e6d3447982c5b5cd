"""The clinic worklist on the web: aiohttp.web in the bot's own process and event loop, pages
rendered from Jinja2 templates with guidance texts, staff signed in from Telegram (/web).

An edge like `bot.telegram`: it imports the pure packages, the store, delivery, clinic,
services and privacy; only the command line (`bot.__main__`) and the demo import it."""
