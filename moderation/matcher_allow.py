"""Built-in allow-list: common innocent words that contain short blocked terms.

Whole-word matching already keeps these from hitting a shorter term ("classic" never hits "ass");
the list is the second line of defence, for a term that reaches one of them through a looser
form (leetspeak, separators, look-alikes). A word here never hits, whatever the rules say, so
keep it short. Brands add their own words with `Matcher(terms, allow=[...])`.
"""

BUILTIN_ALLOW: tuple[str, ...] = (
    "assessment",
    "assassin",
    "bass",
    "class",
    "classic",
    "cocktail",
    "grape",
    "hello",
    "peacock",
    "scunthorpe",
    "shitake",
    "sussex",
    "therapist",
    "title",
)
