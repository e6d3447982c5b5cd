"""The people of `aftercare demo`: three scripted patients and two staff members.

They behave like people with phones: they read what the bot puts in their chat (through the
emulator's on_bot_message events) and tap buttons by their labels, which come from the
guidance, or type. They never look into the bot's database.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.emulator import BotApiEmulator, Message, User
from bot.guidance.model import Guidance, Question
from bot.render import checkin as cr
from bot.render.html import message as render_message


class ScriptError(AssertionError):
    """The day did not go as scripted: a message someone waited for never came."""


# ---- what the people do ----------------------------------------------------------------------


@dataclass(frozen=True)
class PatientScript:
    name: str
    areas: tuple[str, ...]
    intensity: str
    activities: tuple[str, ...]
    answers: Mapping[int, Mapping[str, Any]]  # check-in hour -> question id -> value (option id, score, ids)
    says: Mapping[float, str] = field(default_factory=dict)  # check-in hour -> words typed instead of tapping
    asks_after: Mapping[float, str] = field(
        default_factory=dict
    )  # check-in hour -> a question typed after it
    expected_bucket: str = "normal"
    story: str = ""


@dataclass(frozen=True)
class StaffScript:
    first_name: str
    last_name: str
    role: str
    acknowledges: Mapping[str, str]  # patient first name -> "first" (the first alert seen) or "reminder"
    delay_minutes: float  # nominal minutes between reading an alert and tapping its button


def patients(seed: int) -> list[PatientScript]:
    """Ana recovers as expected, Ben needs a call today, Chloe is an emergency. The seed varies
    the details (scores, bruising, energy), never the outcome."""
    rng = random.Random(seed)

    def course(start: int, hours: tuple[int, ...] = (6, 24, 48, 72)) -> dict[int, dict[str, Any]]:
        bruise, tired = rng.choice(["none", "small"]), rng.choice(["none", "some"])
        return {
            hour: {
                "soreness": max(0, start - i),
                "bruising": bruise if i == 0 else "none",
                "fatigue": tired if i == 0 else "none",
                "warning_signs": [],
                "clinic_contact": "spoke",  # asked at the first check-in after an alert only
            }
            for i, hour in enumerate(hours)
        }

    return [
        PatientScript(
            "Ana",
            ("calf",),
            "moderate",
            ("running",),
            course(rng.choice([2, 3, 4])),
            asks_after={24: "can I go for a run tomorrow?"},
            expected_bucket="normal",
            story="calf, moderate, runner: recovers as expected",
        ),
        PatientScript(
            "Ben",
            ("forearm",),
            "light",
            (),
            course(rng.choice([1, 2, 3])),
            says={
                24: rng.choice(
                    [
                        "my fingers have been tingling and a bit numb since this morning",
                        "numbness and pins and needles in my hand today",
                    ]
                )
            },
            expected_bucket="contact_practitioner",
            story="forearm, light: numbness at 24 h",
        ),
        PatientScript(
            "Chloe",
            ("upper_back",),
            "heavy",
            (),
            course(rng.choice([4, 5])),
            says={48: "sharp pain under my shoulder blade when I breathe in"},
            expected_bucket="emergency",
            story="upper back, heavy: pain on breathing in at 48 h",
        ),
    ]


def staff(seed: int) -> list[StaffScript]:
    rng = random.Random(seed + 1)
    return [
        StaffScript("Dana", "Reyes", "practitioner", {"Ben": "first"}, rng.uniform(5, 15)),
        StaffScript("Sam", "Okafor", "admin", {"Chloe": "reminder"}, rng.uniform(3, 10)),
    ]


# ---- what they see ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A bot message as it stood when it was sent or edited (the Message itself changes later)."""

    event: str  # "sent", "edited" or "deleted"
    message: Message
    text: str
    labels: tuple[str, ...]
    hours: float

    @property
    def buttons(self) -> bool:
        return bool(self.labels)

    def has(self, label: str) -> bool:
        return label in self.labels


class Inbox:
    """The events of one chat, in order, for the person reading it."""

    def __init__(self, owner: str, deadline: Callable[[], float]):
        self.owner = owner
        self.deadline = deadline
        self.queue: asyncio.Queue[Seen] = asyncio.Queue()

    async def next(self, want: Callable[[Seen], bool], what: str) -> Seen:
        loop = asyncio.get_running_loop()
        while True:
            remaining = self.deadline() - loop.time()
            if remaining <= 0:
                raise ScriptError(f"{self.owner} waited for {what}, and it never came")
            try:
                seen = await asyncio.wait_for(self.queue.get(), remaining)
            except TimeoutError:
                continue  # the deadline moves on while the process stalls: look again
            if want(seen):
                return seen


def plain(text: str) -> str:
    """A guidance message as the chat shows it (tags gone, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class Labels:
    """Button labels and texts as the guidance words them, in one language."""

    def __init__(self, guidance: Guidance, lang: str):
        self.guidance, self.lang = guidance, lang
        # Messages the bot sends on its own schedule, not in answer to anything a patient did.
        self._unprompted = [self._pattern("reminder"), self._pattern("checkin_missed_notice")]

    def _pattern(self, key: str) -> re.Pattern:
        template = plain(self.guidance.message(key, self.lang))
        parts = re.split(r"\{[a-z_]+\}", template)
        return re.compile(r"[\s\S]*?".join(re.escape(p) for p in parts))

    def unprompted(self, seen: Seen) -> bool:
        return any(p.fullmatch(seen.text.strip()) for p in self._unprompted)

    def reply(self, seen: Seen) -> bool:
        """A new bot message without buttons that answers the patient (not a reminder)."""
        return seen.event == "sent" and not seen.buttons and not self.unprompted(seen)

    def message(self, key: str) -> str:
        return plain(render_message(self.guidance, key, self.lang))

    def option(self, question: Question, option_id: str) -> str:
        option = next(o for o in question.options if o.id == option_id)
        return cr.option_label(option, self.lang)

    def sign(self, question: Question, option_id: str) -> str:
        option = next(o for o in question.options if o.id == option_id)
        return cr.short_label(option, self.lang)

    def expected(self, question: Question) -> set[str]:
        """Every label the question's keyboard may show (a checklist shows "Done" or "No, none of
        these", not both)."""
        if question.kind == "scale":
            return {str(v) for v in range(question.min, question.max + 1)}
        if question.kind == "choice":
            return {cr.option_label(o, self.lang) for o in question.options}
        signs = {cr.short_label(o, self.lang) for o in question.options if o.id != question.none_option}
        return signs | {self.message("checklist_done_button"), self.message("checklist_none_button")}

    def question_of(self, seen: Seen) -> Question | None:
        """The check-in question a keyboard asks, recognised by its buttons (a reminder carries
        the same buttons, but the demo answers the check-in itself)."""
        shown = {label.removeprefix(cr.TICK) for label in seen.labels}
        if not shown or self.unprompted(seen):
            return None
        return next(
            (q for q in self.guidance.questions if len(shown) > 1 and shown <= self.expected(q)), None
        )

    def answer(self, question: Question, seen: Seen, value: Any) -> str:
        """The label to tap next to give `value`: a score, an option, checklist ticks then Done, or
        "No, none of these" for nothing ticked."""
        if question.kind == "scale":
            return str(value)
        if question.kind == "choice":
            return self.option(question, value)
        wanted = [option_id for option_id in value if option_id != question.none_option]
        if not wanted:
            return self.message("checklist_none_button")
        for option_id in wanted:
            label = self.sign(question, option_id)
            if label in seen.labels:  # shown without the tick: not chosen yet
                return label
        return self.message("checklist_done_button")


# ---- the actors --------------------------------------------------------------------------------


class Stage:
    """What actors share: the emulator, the guidance, the clock of nominal hours, the display."""

    def __init__(
        self,
        emu: BotApiEmulator,
        guidance: Guidance,
        language: str,
        hours: Callable[[], float],
        sleep_hours: Callable[[float], Any],
        display: Any,
        checkin_hours: list[float],
    ):
        self.emu = emu
        self.labels = Labels(guidance, language)
        self.hours = hours
        self.sleep_hours = sleep_hours
        self.display = display
        self.checkin_hours = checkin_hours
        self.inboxes: dict[int, Inbox] = {}
        self.journal: list[tuple[int, Seen]] = []  # every bot event, per chat id, in order

    def listen(self, message: Message, event: str) -> None:
        labels = tuple(b.get("text", "") for row in message.keyboard for b in row)
        seen = Seen(event, message, message.text or "", labels, self.hours())
        self.journal.append((message.chat_id, seen))
        if message.chat_id in self.inboxes:
            self.inboxes[message.chat_id].queue.put_nowait(seen)

    def checkin_hour(self, hours: float) -> float:
        """The scheduled check-in hour nearest to now."""
        return min(self.checkin_hours, key=lambda h: abs(h - hours))

    async def tap(self, user: User, seen: Seen, label: str) -> None:
        self.display.user_action(user.id, label, button=True)
        await self.emu.press_button(user, seen.message, text=label)

    async def type(self, user: User, text: str) -> None:
        self.display.user_action(user.id, text, typed=True)
        await self.emu.send_text(user, text)


@dataclass
class PatientLog:
    """What a patient saw happen, for the summary's checks."""

    consented: bool = False
    checkins: list[float] = field(default_factory=list)
    question_answered: bool = False
    finished: bool = False


async def play_patient(stage: Stage, script: PatientScript, user: User, token: str, log: PatientLog) -> None:
    inbox = stage.inboxes[user.id]
    labels = stage.labels
    accept = labels.message("consent_accept_button")
    stage.display.user_action(user.id, "opens the enrolment link from the clinic")
    await stage.emu.start_deep_link(user, token)
    consent = await inbox.next(lambda s: s.event == "sent" and s.has(accept), "the consent message")
    await stage.tap(user, consent, accept)
    await inbox.next(labels.reply, "the confirmation of consent")
    log.consented = True
    for _ in stage.checkin_hours:
        checkin = await inbox.next(
            lambda s: s.event == "sent" and labels.question_of(s) is not None, "a check-in"
        )
        hour = stage.checkin_hour(checkin.hours)
        log.checkins.append(hour)
        if hour in script.says:
            await stage.sleep_hours(0.1)
            await stage.type(user, script.says[hour])
            await inbox.next(labels.reply, f"the reply to {script.name}'s words")
        else:
            await answer_checkin(stage, inbox, user, checkin, script.answers[int(hour)])
        if hour in script.asks_after:
            await stage.sleep_hours(1.0)
            await stage.type(user, script.asks_after[hour])
            await inbox.next(labels.reply, f"the answer to {script.name}'s question")
            log.question_answered = True
    log.finished = True


async def answer_checkin(
    stage: Stage, inbox: Inbox, user: User, checkin: Seen, answers: Mapping[str, Any]
) -> None:
    """Tap through the check-in's questions; done once the check-in is closed (its message has
    lost its buttons) and the bot's reply to it has come."""
    labels = stage.labels
    checkin_id = checkin.message.message_id
    current: Seen | None = checkin  # the question on screen, None once answered
    closed = replied = False
    while not (closed and replied):
        question = labels.question_of(current) if current is not None else None
        if current is not None and question is not None:
            await stage.tap(user, current, labels.answer(question, current, answers[question.id]))
            current = None
        seen = await inbox.next(lambda s: s.event in ("sent", "edited"), "the next step of the check-in")
        if labels.question_of(seen) is not None:
            current, checkin_id = seen, seen.message.message_id
        elif seen.event == "edited" and seen.message.message_id == checkin_id and not seen.buttons:
            closed = True
        elif labels.reply(seen):
            replied = True


async def play_staff(stage: Stage, script: StaffScript, user: User, acknowledged: dict[str, str]) -> None:
    """Read alerts as they come; tap "I'm handling it" on the ones this person takes on."""
    inbox = stage.inboxes[user.id]
    ack = stage.labels.message("alert_ack_button")
    reminder = stage.labels.message("alert_renotify_prefix")
    waiting = dict(script.acknowledges)
    while waiting:
        alert = await inbox.next(
            lambda s: s.event == "sent" and s.has(ack), f"an alert for {script.first_name}"
        )
        name = next((n for n in waiting if re.search(rf"\b{re.escape(n)}\b", alert.text)), None)
        if name is None or (waiting[name] == "reminder" and not alert.text.startswith(reminder)):
            continue
        await stage.sleep_hours(script.delay_minutes / 60)
        if alert.message.button(text=ack) is None:
            raise ScriptError(f"{script.first_name} went to take on {name}'s alert, but it was already taken")
        await stage.tap(user, alert, ack)
        acknowledged[name] = script.first_name
        del waiting[name]
