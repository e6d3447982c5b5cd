"""The clinic's web app: worklist pages, sign-in, and the Mini App inside Telegram."""
