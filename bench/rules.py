"""Blocked-term rules: recall on evasions, false positives on innocent captions, and speed.

500 blocked terms (mild real words, made-up words and phrases, generated deterministically: no
real slurs in the repository), a fixture set of evasions of each kind the matcher must survive
(built from the terms), and a clean corpus of 10,000 ordinary captions of about 100 characters
whose words contain blocked terms as substrings (assessment, classic, hello, title, peacock,
Scunthorpe...). It measures `moderation.matcher.Matcher` and, in the same run, a naive reference
(`term in text.casefold()` for every term), and prints the load average before and after. Last line:

    rules: evasion_recall=<0..1> false_positive_rate=<0..1> captions_per_s=<n>

captions_per_s is one core's rate: captions over the CPU time of this single-threaded process
(the median of --rounds passes over the clean corpus), which follows a busy neighbour much less
than the wall time. It exits 1 when a goal is missed (recall 1.0, false positives <= 0.005,
>= 20,000 captions per second).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moderation.matcher import Matcher

SEED = 8
# Mild real words; "ass", "tit", "cock" and "hell" prove that whole-word matching spares
# "assessment", "title", "peacock" and "hello".
MILD_WORDS = (
    "spam scam crap ass tit cock hell damn butt fart jerk twit prat git sod arse bum turd poop "
    "dang heck drat bloody bugger sucker loser idiot moron dumbo nitwit dimwit doofus "
    "scumbag sleaze creep weirdo noob troll bot fake fraud"
)
MILD = [*MILD_WORDS.split(), "fluff", "fifty", "stiff"]  # ligature evasions need fi, fl, ff, st
PHRASES = (
    "bad word",
    "buy followers",
    "free money",
    "hot singles",
    "get rich quick",
    "click my link",
    "follow for follow",
    "cheap pills",
    "crypto giveaway",
    "dm for promo",
    "win a phone",
    "sugar daddy",
    "lose weight fast",
    "work from home",
    "double your money",
)
SYLLABLES_WORDS = (
    "bra vok zin tro plu gax mef qui dro ska wub yel fen jor ptu kli vas nox rud zef "
    "grin blo sarn tuv wex hib lum dak pov"
)
SYLLABLES = SYLLABLES_WORDS.split()

# Ordinary caption vocabulary, and innocent words that contain a blocked term.
ORDINARY_WORDS = (
    "the a my our this that with and for at on in to of we you it is was so just today "
    "week weekend summer morning night dance dancing move moves song music beat challenge "
    "friends family team crew squad best fun happy love great nice little big new first last "
    "try tried again finally made did doing got show look looking here there city park beach "
    "street studio kitchen garden school office rooftop sunset sunrise coffee pizza pasta "
    "dog cat puppy kitten baby mom dad sister brother grandma couch stairs mirror rain snow "
    "monday tuesday friday saturday sunday round take part step steps spin jump clap wave "
    "cannot wait share vote favourite ever since practice practising hours minutes proud of "
    "everyone thanks thank you too much fire amazing cool wow yes no maybe one two three"
)
ORDINARY = ORDINARY_WORDS.split()
INNOCENT_WORDS = (
    "assessment classic hello title peacock Scunthorpe cocktail grape Sussex Essex class "
    "grass glass passion bass massive assist embassy compass hellenic shellfish michelle "
    "seashell titan titanic petition constitution competition partition appetite stitch "
    "cockpit hancock shuttlecock scampi scampering button buttery butter rebuttal farther "
    "jerky jerkin twitter twitch digit digital legit soda sodium bumblebee album bump "
    "arsenal parsed therapist spammed hecktor scrapbook scrappy drafted troller botany "
    "botanical bother poppy sapling heckle fakes cassette"
)
INNOCENT = INNOCENT_WORDS.split()
EXTRAS = (
    "🔥",
    "💃",
    "🎶",
    "#MovementMonday",
    "@bestie",
    "5k",
    "top 10",
    "2026",
    "x2",
    "100%",
    "3pm",
    "!",
    "?",
    "10/10",
    "24/7",
    "s/o",
    "r&b",
    "p.s.",
    "a.k.a.",
    "b-day",
    "DJ",
    "x",
    "I",
    "a",
    "&",
    "A.S.A.P.",
    "U.S.",
    "t-shirt",
    "1st",
    "2nd",
    "4ever",
    "b4",
    "l8r",
    "gr8",
    "w/",
    "@",
    "+1",
    "<3",
    ":)",
    "o_O",
    "$5",
    "!!!",
)

CONFUSABLE = {  # well-known Cyrillic and Greek look-alikes, independent of the matcher's table
    "a": "\u0430",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "c": "\u0441",
    "x": "\u0445",
    "y": "\u0443",
    "i": "\u0456",
    "s": "\u0455",
    "j": "\u0458",
    "d": "\u0501",
    "h": "\u04bb",
    "v": "\u03bd",
    "k": "\u03ba",
    "n": "\u0578",
    "w": "\u051d",
    "q": "\u051b",
    "g": "\u0261",
}
LEET = {"a": "4@", "e": "3", "i": "1!", "l": "1|", "o": "0", "s": "5$", "t": "7+", "b": "8", "g": "9"}
INVISIBLES = ("\u200b", "\u200c", "\u200d", "\u00ad", "\u2060", "\ufeff", "\ufe0f", "\U000e0020")
MARKS = ("\u0301", "\u0308", "\u0302", "\u0303", "\u0327", "\u0300", "\u030c")
SEPARATORS = (".", " ", "-", "_", "*", "/", " . ", "~")


def make_terms(rng: random.Random) -> list[str]:
    vocabulary = {w.casefold() for w in ORDINARY + INNOCENT}
    terms = list(dict.fromkeys(MILD + list(PHRASES)))
    while len(terms) < 480:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        if word not in vocabulary and word not in terms:
            terms.append(word)
    while len(terms) < 500:  # made-up phrases
        phrase = " ".join(rng.choice(terms[len(MILD) + len(PHRASES) :]) for _ in range(2))
        if phrase not in terms:
            terms.append(phrase)
    return terms


def fullwidth(word: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" for c in word)


def math_bold(word: str) -> str:
    return "".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in word)


def circled(word: str) -> str:
    return "".join(chr(0x24D0 + ord(c) - 97) if "a" <= c <= "z" else c for c in word)


def ligature(word: str) -> str:
    for pair, lig in (("ffi", "\ufb03"), ("ff", "\ufb00"), ("fi", "\ufb01"), ("fl", "\ufb02"), ("st", "\ufb06")):
        word = word.replace(pair, lig)
    return word


def make_evasions(terms: list[str], rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, term, text): several evasions of each kind, each in an ordinary caption."""
    words = [t for t in terms if " " not in t]
    phrases = [t for t in terms if " " in t]

    def pick(n: int, pool: list[str], need: Callable[[str], bool] = lambda _: True) -> list[str]:
        return rng.sample([t for t in pool if need(t)], n)

    def sprinkle(word: str, chars: tuple[str, ...]) -> str:
        return "".join(c + rng.choice(chars) for c in word[:-1]) + word[-1]

    def swap(word: str, table: dict[str, str], every: bool) -> str:
        out = [rng.choice(table[c]) if c in table and (every or rng.random() < 0.6) else c for c in word]
        if out == list(word):  # at least one swap
            i = next(i for i, c in enumerate(word) if c in table)
            out[i] = rng.choice(table[word[i]])
        return "".join(out)

    def has(table: dict[str, str]) -> Callable[[str], bool]:
        return lambda t: any(c in table for c in t)

    cases: list[tuple[str, str, str]] = []
    for t in pick(4, words):
        cases.append(("nfkc", t, fullwidth(t)))
    for t in pick(3, words):
        cases.append(("nfkc", t, math_bold(t)))
    for t in pick(3, words):
        cases.append(("nfkc", t, circled(t)))
    for t in ["fluff", "fifty", "stiff", *pick(2, words, lambda t: any(p in t for p in ("fi", "fl", "ff", "st")))]:
        cases.append(("nfkc", t, ligature(t)))
    for t in pick(6, words):
        cases.append(("case", t, "".join(c.upper() if i % 2 else c for i, c in enumerate(t))))
    for t in pick(8, words):
        cases.append(("invisible", t, sprinkle(t, INVISIBLES)))
    for t in pick(8, words):
        cases.append(("combining", t, sprinkle(t, MARKS) + rng.choice(MARKS)))
    for t in pick(10, words, has(CONFUSABLE)):
        cases.append(("confusable", t, swap(t, CONFUSABLE, every=False)))
    for t in pick(10, words, has(LEET)):
        cases.append(("leet", t, swap(t, LEET, every=False)))
    for t in pick(8, words):
        i = rng.randrange(len(t))
        cases.append(("repeated", t, t[:i] + t[i] * rng.randint(2, 5) + t[i + 1 :]))
    for t in pick(10, words):
        cases.append(("separators", t, rng.choice(SEPARATORS).join(t)))
    for t in pick(8, phrases):
        cases.append(("phrase", t, rng.choice(("  ", " - ", ", ", "... ", "\n")).join(t.split())))
    return [(kind, term, f"{rng.choice(ORDINARY)} {text} {rng.choice(ORDINARY)}") for kind, term, text in cases]


def make_corpus(n: int, rng: random.Random) -> list[str]:
    captions = []
    for _ in range(n):
        words: list[str] = []
        while len(" ".join(words)) < 90:
            roll = rng.random()
            pool = INNOCENT if roll < 0.25 else EXTRAS if roll < 0.32 else ORDINARY
            word = rng.choice(pool)
            words.append(word.capitalize() if rng.random() < 0.1 else word)
        captions.append(" ".join(words) + rng.choice(("", ".", "!", " 🔥", "?")))
    return captions


def naive_find(terms: list[str]) -> Callable[[str], list[str]]:
    def find(text: str) -> list[str]:
        folded = text.casefold()
        return [t for t in terms if t in folded]

    return find


def cpu_seconds(fn: Callable[[str], object], captions: list[str]) -> float:
    start = time.process_time()
    for caption in captions:
        fn(caption)
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--captions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rng = random.Random(SEED)
    terms = make_terms(rng)
    evasions = make_evasions(terms, rng)
    corpus = make_corpus(args.captions, rng)
    keyed = [(str(i), t) for i, t in enumerate(terms)]
    key_of = {t: str(i) for i, t in enumerate(terms)}

    start = time.perf_counter()
    matcher = Matcher(keyed)
    compile_ms = (time.perf_counter() - start) * 1000
    naive = naive_find(terms)
    print(f"terms: {len(terms)} ({sum(' ' in t for t in terms)} phrases), compiled in {compile_ms:.1f} ms")
    print(
        f"evasions: {len(evasions)}; clean captions: {len(corpus)}, {statistics.mean(map(len, corpus)):.0f} chars avg"
    )

    # Recall: the evasion must hit its own term.
    by_kind: dict[str, list[int]] = {}
    naive_caught = 0
    missed = []
    for kind, term, text in evasions:
        caught = key_of[term] in {h.key for h in matcher.find(text)}
        by_kind.setdefault(kind, [0, 0])
        by_kind[kind][0] += caught
        by_kind[kind][1] += 1
        naive_caught += term in naive(text)
        if not caught:
            missed.append((kind, term, text))
    print("recall by kind: " + ", ".join(f"{k} {c}/{n}" for k, (c, n) in by_kind.items()))
    for kind, term, text in missed:
        print(f"  MISSED {kind}: {term!r} in {text!r}")
    recall = sum(c for c, _ in by_kind.values()) / len(evasions)

    # False positives: a clean caption with any hit.
    flagged = [c for c in corpus if matcher.find(c)]
    naive_flagged = sum(1 for c in corpus if naive(c))
    for caption in flagged[:10]:
        print(f"  FALSE POSITIVE: {caption!r} -> {[h.matched for h in matcher.find(caption)]}")
    fp_rate = len(flagged) / len(corpus)

    # Speed: interleaved rounds over the clean corpus, one warm-up each.
    cpu_seconds(matcher.find, corpus[:500])
    cpu_seconds(naive, corpus[:500])
    ours, theirs = [], []
    for _ in range(args.rounds):
        ours.append(cpu_seconds(matcher.find, corpus))
        theirs.append(cpu_seconds(naive, corpus))
    rate = len(corpus) / statistics.median(ours)
    naive_rate = len(corpus) / statistics.median(theirs)
    evasive_rate = len(evasions) / cpu_seconds(matcher.find, [t for _, _, t in evasions])

    print(f"{'':10} {'recall':>7} {'false pos':>10} {'captions/s':>11}")
    print(f"{'matcher':10} {recall:7.3f} {fp_rate:10.4f} {rate:11,.0f}")
    print(f"{'naive':10} {naive_caught / len(evasions):7.3f} {naive_flagged / len(corpus):10.4f} {naive_rate:11,.0f}")
    print(f"matcher/naive speed: {rate / naive_rate:.2f}x; evasive captions: {evasive_rate:,.0f}/s")
    goals = {"recall 1.0": recall == 1.0, "false positives <= 0.005": fp_rate <= 0.005, ">= 20,000/s": rate >= 20_000}
    print("goals: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in goals.items()))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"rules: evasion_recall={recall:.3f} false_positive_rate={fp_rate:.4f} captions_per_s={rate:.0f}")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
