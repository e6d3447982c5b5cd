"""Load and validate a guidance folder: areas, lexicon, rules, questions, tips, messages, course,
outcomes.

Everything is checked at start, so a clinic's edit fails loudly and precisely
(`rules.toml: rules[3].when[0].findings: unknown finding 'chestpain'`) instead of misbehaving
with a patient. The loaded `Guidance` is immutable and shared by every handler.

`load_guidance` is the package's front door; the types it returns live in `bot.guidance.model`.
Each file has its own loading module.
"""

from __future__ import annotations

from pathlib import Path

from bot.guidance.config import Config, ConfigError
from bot.guidance.course import COURSE, load_course
from bot.guidance.folder import open_toml
from bot.guidance.lexicon import LEXICON, load_lexicon
from bot.guidance.message_keys import REQUIRED_MESSAGES
from bot.guidance.messages import MESSAGES, load_messages
from bot.guidance.model import Area, Guidance
from bot.guidance.outcomes import OUTCOMES, load_outcomes
from bot.guidance.questions import QUESTIONS, load_questions
from bot.guidance.rules import RULES, load_rules
from bot.guidance.tips import TIPS, load_tips, tips_per_message
from bot.guidance.toml_doc import BOOL, TABLE, TEXT, TEXTS, GuidanceError, Schema, Table

AREAS = Schema(required={"areas": TABLE})
AREAS_BY_ID = Schema(values=TABLE)
AREA = Schema(
    required={"label": TEXT, "thoracic_risk": BOOL},
    optional={"aliases": TEXTS},
    translated=frozenset({"label"}),
)


def load_guidance(root: Path) -> Guidance:
    """Load the guidance folder at `root`; raise GuidanceError naming the file and the key."""
    root = Path(root)
    if not root.is_dir():
        raise GuidanceError(root, None, "guidance folder not found")
    # The languages of messages.toml are the ones shipped: every other file has each of them.
    messages = load_messages(open_toml(root, "messages.toml", MESSAGES), REQUIRED_MESSAGES)
    languages = tuple(messages)
    areas = _load_areas(open_toml(root, "areas.toml", AREAS), languages)
    lexicon = load_lexicon(open_toml(root, "lexicon.toml", LEXICON), areas)
    finding_ids = {f.id for f in lexicon.findings}
    rules = load_rules(open_toml(root, "rules.toml", RULES), finding_ids, areas, messages)
    questions_top = open_toml(root, "questions.toml", QUESTIONS)
    hours, questions = load_questions(questions_top, finding_ids, languages)
    topics = {f[len("topic_") :] for f in finding_ids if f.startswith("topic_")}
    tips_top = open_toml(root, "tips.toml", TIPS)
    tips = load_tips(root, tips_top, hours, topics, languages)
    course = load_course(open_toml(root, "course.toml", COURSE), hours, languages)
    return Guidance(
        root,
        areas,
        lexicon,
        rules,
        questions,
        hours,
        tips,
        messages,
        course=course,
        tips_per_message=tips_per_message(tips_top),
        alert_outcomes=load_outcomes(open_toml(root, "outcomes.toml", OUTCOMES), messages),
    )


def _load_areas(top: Table, languages: tuple[str, ...]) -> dict[str, Area]:
    areas = {}
    for area_id, entry in top.table("areas", AREAS_BY_ID).each(AREA):
        entry.check_languages(languages)
        aliases = tuple(" ".join(alias.lower().split()) for alias in entry.strings("aliases"))
        labels = entry.translations("label")
        areas[area_id] = Area(area_id, entry["label"], aliases, entry["thoracic_risk"], labels)
    if not areas:
        top.fail("areas", "no areas defined")
    return areas


def load_all_guidance(config: Config) -> dict[str, Guidance]:
    """Each clinic's guidance, loaded and validated once; clinics sharing a folder share it."""
    loaded: dict[str, Guidance] = {}
    by_clinic = {}
    for index, clinic in enumerate(config.clinics):
        root = clinic.guidance_folder
        key = str(root.resolve())
        if key not in loaded:
            loaded[key] = load_guidance(root)
        by_clinic[clinic.id] = loaded[key]
        # The staff read the clinic's language: a language its guidance lacks would be English.
        if clinic.language not in loaded[key].messages:
            shipped = ", ".join(loaded[key].messages)
            message = f"'{clinic.language}' is not a language of its guidance {root} ({shipped})"
            raise ConfigError(config.path, f"clinics[{index}].language", message)
    return by_clinic
