"""Load and validate a guidance folder: areas, lexicon, rules, questions, tips, messages, course.

Everything is checked at start, so a clinic's edit fails loudly and precisely
(`rules.toml: rules[3].when[0].findings: unknown finding 'chestpain'`) instead of misbehaving
with a patient. The loaded `Guidance` is immutable and shared by every handler.

`load_guidance` is the package's front door; the types it returns live in `bot.guidance.model`.
Each file has its own loading module.
"""

from __future__ import annotations

from pathlib import Path

from bot.guidance.config import Config
from bot.guidance.course import COURSE, load_course
from bot.guidance.folder import open_toml
from bot.guidance.lexicon import LEXICON, load_lexicon
from bot.guidance.message_keys import REQUIRED_MESSAGES
from bot.guidance.messages import MESSAGES, load_messages
from bot.guidance.model import Area, Guidance
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
    areas = _load_areas(open_toml(root, "areas.toml", AREAS))
    lexicon = load_lexicon(open_toml(root, "lexicon.toml", LEXICON), areas)
    finding_ids = {f.id for f in lexicon.findings}
    messages = load_messages(open_toml(root, "messages.toml", MESSAGES), REQUIRED_MESSAGES)
    rules = load_rules(open_toml(root, "rules.toml", RULES), finding_ids, areas, messages)
    hours, questions = load_questions(open_toml(root, "questions.toml", QUESTIONS), finding_ids)
    topics = {f[len("topic_") :] for f in finding_ids if f.startswith("topic_")}
    tips_top = open_toml(root, "tips.toml", TIPS)
    tips = load_tips(root, tips_top, hours, topics)
    course = load_course(open_toml(root, "course.toml", COURSE), hours)
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
    )


def _load_areas(top: Table) -> dict[str, Area]:
    areas = {}
    for area_id, entry in top.table("areas", AREAS_BY_ID).each(AREA):
        aliases = tuple(" ".join(alias.lower().split()) for alias in entry.strings("aliases"))
        areas[area_id] = Area(area_id, entry["label"], aliases, entry["thoracic_risk"])
    if not areas:
        top.fail("areas", "no areas defined")
    return areas


def load_all_guidance(config: Config) -> dict[str, Guidance]:
    """Each clinic's guidance, loaded and validated once; clinics sharing a folder share it."""
    loaded: dict[str, Guidance] = {}
    by_clinic = {}
    for clinic in config.clinics:
        root = clinic.guidance_folder
        key = str(root.resolve())
        if key not in loaded:
            loaded[key] = load_guidance(root)
        by_clinic[clinic.id] = loaded[key]
    return by_clinic
