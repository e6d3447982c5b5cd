"""What a clinic takes away: enrolment links and QR codes, reports, FHIR export, charts, backup.

Imports the pure packages and `bot.store`."""
