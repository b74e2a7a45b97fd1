"""The demo academy's Reliability Meetup: a year of monthly meetups and the next two, each with two talks by SREs and
by people of the product teams (more of them as the year goes on), who came and who said they will come, and the
call for talks. Colleagues who only come to meetups get accounts with no role. Every choice is seeded: each load of
the demo is the same."""

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, has_app_context
from sqlmodel import Session

from .accounts.services import create_user
from .curriculum.loader import Catalogue
from .meetups.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    SpeakerDraft,
    TalkDraft,
    decide_talk,
    local_moment,
    propose_talk,
)
from .models import Meetup, MeetupAttendee, Talk, TalkModule, TalkSpeaker, User

SEED = 19
ORGANIZER, TRAINEE = "organizer@example.com", "trainee@example.com"
HELD, COMING = 12, 2
STARTS, ENDS = time(17, 0), time(18, 30)
PLACE, VIDEO = "Auditorium 2", "https://meet.example.com/reliability-meetup"
TRAINEE_CAME = (7, 9, 10, 12)  # the meetups (numbered from 1, a year ago) trainee@example.com came to
GOING_NEXT = 18  # replies to the next meetup besides its speakers and the organizer; the one after has fewer

TEAMS = {
    "admin@example.com": "Operations",
    "manager@example.com": "SRE",
    "mentor@example.com": "SRE",
    "mentor2@example.com": "SRE",
    ORGANIZER: "SRE",
    TRAINEE: "Customer support",
    "trainee2@example.com": "Operations",
    "trainee3@example.com": "Customer support",
    "trainee4@example.com": "Operations",
    "trainee5@example.com": "Customer support",
    "trainee6@example.com": "Customer support",
    "trainee7@example.com": "Operations",
    "trainee8@example.com": "Customer support",
    "trainee9@example.com": "Operations",
    "trainee10@example.com": "SRE",  # the graduate
    "trainee11@example.com": "Operations",
    "trainee12@example.com": "Operations",
}
COLLEAGUES = (  # name, team: they have no academy role, and come to the meetup
    ("Amara Okoye", "Payments"),
    ("Jonas Weber", "Payments"),
    ("Sofia Rossi", "Payments"),
    ("Mateo García", "Search"),
    ("Ingrid Halvorsen", "Search"),
    ("Kwame Mensah", "Search"),
    ("Yuki Watanabe", "Mobile"),
    ("Fatima Zahra", "Mobile"),
    ("Liam O'Connor", "Mobile"),
    ("Noor Khalil", "Data platform"),
    ("Pieter de Vries", "Data platform"),
    ("Mei Chen", "Data platform"),
    ("Carlos Mendes", "Checkout"),
    ("Elif Demir", "Checkout"),
    ("Oscar Lind", "Checkout"),
    ("Anya Petrova", "Identity"),
    ("Ben Adeyemi", "Identity"),
    ("Julia Kowalski", "Identity"),
    ("Rahul Iyer", "Billing"),
    ("Clara Schmidt", "Billing"),
    ("Tomás Ruiz", "Web frontend"),
    ("Emma Laurent", "Web frontend"),
    ("Kofi Asante", "Web frontend"),
    ("Greta Nilsson", "Product"),
    ("Daniel Cohen", "Product"),
    ("Leila Farahani", "Product"),
    ("Marta Silva", "Customer support"),
    ("Felix Braun", "Customer support"),
    ("Sara Lindgren", "Design"),
    ("Hugo Moreau", "Security"),
)


def colleague_email(name: str) -> str:
    """ "Liam O'Connor" -> liam.oconnor@example.com"""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return ".".join("".join(c for c in word if c.isalnum()) for word in plain.split(maxsplit=1)) + "@example.com"


@dataclass(frozen=True)
class Guest:
    name: str
    team: str
    is_sre: bool = False


@dataclass(frozen=True)
class DemoTalk:
    title: str
    abstract: str
    speakers: tuple[str | Guest, ...]  # an account's e-mail (an SRE when their team is SRE), or a guest
    modules: tuple[str, ...]


def c(name: str) -> str:
    return colleague_email(name)


# Two talks a meetup, the oldest meetup first; the last two meetups are still to come.
TALKS = (
    (
        DemoTalk(
            "What on-call taught us in year one",
            "Twelve months of pages, sorted by what woke us and what we changed. The rota we started with, the one "
            "we have now, and why the handover note matters more than the runbook.",
            ("mentor@example.com",),
            ("on-call",),
        ),
        DemoTalk(
            "Error budgets explained with a coffee machine",
            "How much downtime can the office coffee machine have before people revolt? A gentle start to SLOs and "
            "error budgets, with no maths beyond a percentage.",
            ("mentor2@example.com",),
            ("slis-and-slos", "error-budgets"),
        ),
    ),
    (
        DemoTalk(
            "Alert fatigue: we deleted 60% of our pages",
            "We listed every alert that paged in a quarter and asked of each: did someone have to act? Most did not. "
            "What we deleted, what we turned into tickets, and the two we should have kept.",
            ("manager@example.com",),
            ("symptom-alerting",),
        ),
        DemoTalk(
            "A support agent's view of an outage",
            "While the incident channel fills up, the support queue fills faster. What customers tell us in the "
            "first ten minutes, and how a status note from the incident commander changes the day.",
            (c("Marta Silva"),),
            ("incident-roles", "explaining-reliability"),
        ),
    ),
    (
        DemoTalk(
            "Toil: count it before you cut it",
            "A month of tallying manual work in a spreadsheet: what counts as toil, what does not, and why the "
            "numbers settled an argument that had run for a year.",
            (ORGANIZER,),
            ("toil",),
        ),
        DemoTalk(
            "Kubernetes requests and limits without tears",
            "Throttled CPUs, evicted pods and a cluster that was both full and idle. How we set requests from "
            "measurements and stopped guessing limits.",
            (Guest("Henrik Aalto", "SRE, Nordlicht Logistics", is_sre=True),),
            ("k8s-core-objects", "capacity-autoscaling"),
        ),
    ),
    (
        DemoTalk(
            "Blameless postmortems, in practice",
            "Blameless does not mean nobody did anything. Reading three of our postmortems aloud: the questions that "
            "opened people up, and the one that shut a meeting down.",
            ("mentor@example.com",),
            ("postmortems",),
        ),
        DemoTalk(
            "How payment retries nearly took us down",
            "A slow bank, a client that retried three times, and a thundering herd at month's end. Payments and SRE "
            "on the timeouts, budgets and breaker we added.",
            (c("Amara Okoye"), "mentor2@example.com"),
            ("timeouts-retries-breakers",),
        ),
    ),
    (
        DemoTalk(
            "Our first SLO for search",
            "Search had uptime; users had slow results. How the search team chose a latency SLI, argued about the "
            "99th percentile, and what the first month of the error budget showed.",
            (c("Mateo García"), "mentor2@example.com"),
            ("slis-and-slos",),
        ),
        DemoTalk(
            "Release trains and feature flags in the mobile app",
            "An app store release cannot be rolled back. How the mobile team ships every two weeks anyway, with "
            "flags, staged rollouts and a crash-rate gate.",
            (c("Yuki Watanabe"),),
            ("release-engineering",),
        ),
    ),
    (
        DemoTalk(
            "Capacity planning for the peak, in May",
            "Why the busiest week of the year is planned half a year ahead: load tests, headroom and the three "
            "numbers finance asks for.",
            (Guest("Priscilla Nwosu", "Capacity team, Contoso Retail", is_sre=True),),
            ("capacity-planning",),
        ),
        DemoTalk(
            "Dashboards product managers actually read",
            "Our product team stopped asking SRE how things were going. One page, four graphs, and words a product "
            "review can use.",
            (c("Greta Nilsson"),),
            ("dashboards",),
        ),
    ),
    (
        DemoTalk(
            "Game day: we turned off a zone",
            "On a Tuesday afternoon, on purpose. What we expected to break, what did, and how the search team found "
            "a dependency nobody had drawn.",
            ("manager@example.com", c("Kwame Mensah")),
            ("game-days",),
        ),
        DemoTalk(
            "Database failover, the boring way",
            "We practise failover monthly until it is dull. The checklist, the replica lag we watch, and the one "
            "time it was not dull.",
            (c("Noor Khalil"),),
            ("database-reliability",),
        ),
    ),
    (
        DemoTalk(
            "What customers tell us before the dashboards do",
            "Support tickets as a signal: three incidents our customers noticed first, and the alert we built from "
            "the words they used.",
            (c("Felix Braun"),),
            ("symptom-alerting", "explaining-reliability"),
        ),
        DemoTalk(
            "Schema migrations without a maintenance window",
            "Expand, migrate, contract: how Data platform renamed a column on a table of two billion rows while "
            "checkout kept selling.",
            (c("Pieter de Vries"), ORGANIZER),
            ("schema-migrations",),
        ),
    ),
    (
        DemoTalk(
            "Secrets rotation for everyone",
            "A leaked token, found in a build log. What Security changed so that every team can rotate a secret in "
            "minutes, not days.",
            (c("Hugo Moreau"),),
            ("secrets-and-least-privilege",),
        ),
        DemoTalk(
            "Burn-rate alerts, three months in",
            "We replaced threshold alerts with multi-window burn rates on four services. Fewer pages, earlier "
            "warnings, and one alert that fired for a week.",
            ("mentor@example.com",),
            ("burn-rate-alerts",),
        ),
    ),
    (
        DemoTalk(
            "Checkout's error budget policy: who says stop?",
            "The budget ran out in week two. Product and engineering on the policy we wrote together, and the "
            "feature freeze that did not start a fight.",
            (c("Carlos Mendes"), c("Daniel Cohen")),
            ("error-budgets",),
        ),
        DemoTalk(
            "Certificates that renew themselves",
            "An expired certificate took sign-in down for forty minutes. How Identity moved every certificate to "
            "automatic renewal, and the alert for the ones that cannot be.",
            (c("Anya Petrova"),),
            ("certificate-lifecycle",),
        ),
    ),
    (
        DemoTalk(
            "Load shedding in the search API",
            "When traffic doubles, which requests should fail? How search learned to say no early, cheaply and to "
            "the right callers.",
            (c("Ingrid Halvorsen"),),
            ("overload-and-probing",),
        ),
        DemoTalk(
            "An incident from the comms seat",
            "The status page, the customer e-mail and the call with the account managers: an incident told by the "
            "person writing the updates, with the SRE who was incident commander.",
            (Guest("Rosa Delgado", "Communications"), "mentor@example.com"),
            ("incident-roles",),
        ),
    ),
    (
        DemoTalk(
            "Restoring a backup we had never restored",
            "We had backups for years. Then we tried to restore one. Data platform and SRE on the four hours that "
            "followed and the restore test that now runs every week.",
            (c("Mei Chen"), "trainee10@example.com"),
            ("backups-and-restores",),
        ),
        DemoTalk(
            "Kubernetes RBAC after the namespace incident",
            "A script with cluster-admin rights deleted the wrong namespace. What Identity and the platform team "
            "changed in roles, reviews and guard rails.",
            (c("Ben Adeyemi"),),
            ("k8s-rbac",),
        ),
    ),
    (
        DemoTalk(
            "The mobile team's first on-call quarter",
            "Three months ago the mobile team took its own pager. Two engineers on the rota, the alerts they "
            "inherited and the ones they wrote.",
            (c("Liam O'Connor"), c("Fatima Zahra")),
            ("on-call",),
        ),
        DemoTalk(
            "A toil budget: what we automated this year",
            "Payments and SRE set themselves a toil budget in January. What got automated, what we gave up on, and "
            "the scripts anyone may reuse.",
            (ORGANIZER, c("Jonas Weber")),
            ("toil", "python-ops-scripts"),
        ),
    ),
    (
        DemoTalk(
            "Production readiness reviews for product teams",
            "A checklist that used to be SRE's gate is now each team's own. How Web frontend ran its first review, "
            "and what it found before launch.",
            (c("Tomás Ruiz"), "mentor2@example.com"),
            ("production-readiness",),
        ),
        DemoTalk(
            "What a year of postmortems says about us",
            "Billing read every postmortem of the year and counted causes, detection times and follow-ups done. "
            "The patterns, and the follow-ups still open.",
            (c("Clara Schmidt"),),
            ("postmortems",),
        ),
    ),
)
PROPOSALS = (  # the call for talks: (draft, proposer, days ago, then the organizer's decision and comment, if any)
    (
        TalkDraft(
            "Reading a flame graph together",
            "A slow endpoint, `perf` and a flame graph, read live with the engineer who wrote the code. Bring a "
            "laptop if you want to follow along.",
            [SpeakerDraft(email="mentor@example.com", is_sre=True)],
            ["strace-perf"],
        ),
        "mentor@example.com",
        3,
        None,
        "",
    ),
    (
        TalkDraft(
            "Core Web Vitals as SLIs",
            "What the browser measures, what users feel, and how Web frontend turned one into the other.",
            [SpeakerDraft(email=c("Emma Laurent"))],
            ["slis-and-slos"],
        ),
        c("Emma Laurent"),
        20,
        "changes",
        "We would love this in the spring. Could you show a week of real numbers and what the team changed because "
        "of them? Twenty minutes, with time for questions.",
    ),
    (
        TalkDraft(
            "Ten dashboard plugins you should install",
            "A tour of the plugins Billing uses every day.",
            [SpeakerDraft(email=c("Rahul Iyer"))],
            ["dashboards"],
        ),
        c("Rahul Iyer"),
        30,
        "decline",
        "Thank you, Rahul. A list of plugins is hard to follow from the back of Auditorium 2; a talk about one "
        "dashboard that changed how Billing works would be very welcome.",
    ),
)


def load_meetups(
    *, session: Session, catalogue: Catalogue, users: dict[str, User], password_hash: str, today: date
) -> None:
    """The meetups before `today` as history (with their talks decided and attendance recorded), the coming ones
    with replies, and the call for talks through the services, which tell the organizer and the proposers."""
    for talk in [t for pair in TALKS for t in pair]:
        if unknown := [m for m in talk.modules if catalogue.get(m) is None]:  # a renamed module fails here
            raise ValueError(f"demo talk {talk.title!r} names unknown module {unknown[0]!r}")
    people = {**users, **colleagues(session, password_hash)}
    for email, team in TEAMS.items():
        people[email].team = team
        session.add(people[email])
    rng = random.Random(SEED)  # noqa: S311 - made-up attendance, not secrets
    zone, (held, coming) = meetup_zone(), meetup_days(today)
    for n, (day, talks) in enumerate(zip(held + coming, TALKS, strict=True), start=1):
        meetup = add_meetup(session, rng, people[ORGANIZER], n, day, zone, today)
        speakers = agenda(session, meetup, n, talks, people)
        if n <= HELD:
            attendance(session, rng, meetup, n, speakers, people)
        else:
            replies(session, rng, meetup, speakers, people, today, many=n == HELD + 1)
    call_for_talks(session, catalogue, people, today)


def colleagues(session: Session, password_hash: str) -> dict[str, User]:
    found = {}
    for name, team in COLLEAGUES:
        user = create_user(
            session=session, email=colleague_email(name), display_name=name, roles=(), password_hash=password_hash
        )
        user.team = team
        found[user.email] = user
    return found


def meetup_zone() -> str:
    """The installation's time zone, or Berlin's when it has none but UTC."""
    name = current_app.config.get("TIME_ZONE") if has_app_context() else None
    return name if name and name != "UTC" else "Europe/Berlin"


def third_thursday(year: int, month: int) -> date:
    """The meetup's day: the third Thursday, which keeps December's clear of the holidays."""
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def meetup_days(today: date) -> tuple[list[date], list[date]]:
    """The last HELD meetup days before `today` and the next COMING after it."""
    months = [today.year * 12 + today.month - 1 + k for k in range(-HELD - 2, COMING + 2)]
    days = [third_thursday(m // 12, m % 12 + 1) for m in months]
    return [d for d in days if d < today][-HELD:], [d for d in days if d > today][:COMING]


def add_meetup(session: Session, rng, organizer: User, n: int, day: date, zone: str, today: date) -> Meetup:
    """Planned five weeks before, or three weeks before today for one that is still to come."""
    starts = local_moment(day, STARTS, zone, "starts")
    planned = min(starts - timedelta(days=35), datetime.combine(today - timedelta(days=21), time(10), tzinfo=UTC))
    meetup = Meetup(
        title=f"Reliability Meetup #{n}",
        starts_at=starts,
        ends_at=local_moment(day, ENDS, zone, "ends"),
        time_zone=zone,
        place=PLACE,
        video_url=VIDEO,
        recording_url=f"https://video.example.com/reliability-meetup/{n}" if n <= HELD else None,
        check_in_code="".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        created_by=organizer.id,
        created_at=planned,
    )
    session.add(meetup)
    session.flush()
    return meetup


def agenda(session: Session, meetup: Meetup, n: int, talks, people: dict[str, User]) -> set[int]:
    """The meetup's two talks, proposed before it was planned and decided soon after, with slides once it has been
    held; returns the ids of the speakers with an account."""
    organizer, speakers = people[ORGANIZER], set()
    for position, spec in enumerate(talks, start=1):
        accounts = [people[s] for s in spec.speakers if isinstance(s, str)]
        talk = Talk(
            meetup_id=meetup.id,
            position=position,
            title=spec.title,
            abstract=spec.abstract,
            state="accepted",
            slides_url=f"https://slides.example.com/reliability-meetup/{n}-{position}" if n <= HELD else None,
            proposed_by=(accounts[0] if accounts else organizer).id,
            proposed_at=meetup.created_at - timedelta(days=12 - 3 * position),
            decided_by=organizer.id,
            decided_at=meetup.created_at + timedelta(days=3),
        )
        session.add(talk)
        session.flush()
        for place, who in enumerate(spec.speakers, start=1):
            if isinstance(who, Guest):
                row = TalkSpeaker(guest_name=who.name, guest_team=who.team, is_sre=who.is_sre)
            else:
                row = TalkSpeaker(user_id=people[who].id, is_sre=people[who].team == "SRE")
            row.talk_id, row.position = talk.id, place
            session.add(row)
        session.add_all(TalkModule(talk_id=talk.id, module_id=m) for m in spec.modules)
        speakers.update(u.id for u in accounts)
    return speakers


def audience(rng: random.Random, people: dict[str, User], fixed: set[int], size: int) -> list[int]:
    """`fixed` and enough others, drawn from everyone but the organizer and trainee@example.com, to make `size`."""
    pool = [people[e].id for e in sorted(people) if e not in (ORGANIZER, TRAINEE) and people[e].id not in fixed]
    return sorted(fixed) + rng.sample(pool, max(size - len(fixed), 0))


def attendance(session: Session, rng: random.Random, meetup: Meetup, n: int, speakers: set[int], people) -> None:
    """8 people at the first meetup, 35 at the twelfth; most said beforehand they would come, a few who said so did
    not; most checked in with the code, the others the organizer recorded afterwards."""
    fixed = speakers | {people[ORGANIZER].id} | ({people[TRAINEE].id} if n in TRAINEE_CAME else set())
    came = audience(rng, people, fixed, 8 + round(27 * (n - 1) / (HELD - 1)))
    absent = [u for u in audience(rng, people, set(came), len(came) + 3) if u not in came]
    for user_id in came + absent:
        row = MeetupAttendee(meetup_id=meetup.id, user_id=user_id)
        if user_id in absent or rng.random() < 0.75:
            row.going_at = meetup.starts_at - timedelta(days=rng.randint(1, 14), hours=rng.randint(0, 8))
        if user_id in came and rng.random() < 0.7:
            row.attended_at, row.checked_in_by = meetup.starts_at + timedelta(minutes=rng.randint(-10, 20)), "code"
        elif user_id in came:
            row.attended_at, row.checked_in_by = meetup.ends_at + timedelta(minutes=15), "organizer"
        session.add(row)


def replies(session: Session, rng, meetup: Meetup, speakers: set[int], people, today: date, *, many: bool) -> None:
    """Those who said they will come: trainee@example.com among many to the next meetup, a few to the one after."""
    fixed = speakers | {people[ORGANIZER].id} | ({people[TRAINEE].id} if many else set())
    for user_id in audience(rng, people, fixed, len(fixed) + (GOING_NEXT if many else 5)):
        said = datetime.combine(today - timedelta(days=rng.randint(1, 12)), time(rng.randint(8, 18)), tzinfo=UTC)
        session.add(MeetupAttendee(meetup_id=meetup.id, user_id=user_id, going_at=said))


def call_for_talks(session: Session, catalogue: Catalogue, people: dict[str, User], today: date) -> None:
    """Three proposals: one waiting for the organizer, one sent back for changes, one declined."""
    for draft, proposer, days_ago, decision, comment in PROPOSALS:
        talk = propose_talk(session, catalogue, by=people[proposer], draft=draft)
        talk.proposed_at = datetime.combine(today - timedelta(days=days_ago), time(9, 30), tzinfo=UTC)
        if decision:
            decided = talk.proposed_at + timedelta(days=days_ago // 2)
            decide_talk(
                session, talk=talk, by=people[ORGANIZER], decision=decision, meetup=None, comment=comment, now=decided
            )
        session.add(talk)
