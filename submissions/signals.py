"""Signals submissions sends for the apps above it (which it must not import).

entry_left_public(sender=Entry, entry=Entry): sent after the commit that took an approved or
featured entry out of public view (its author withdrew it, or reports hid it). Moderation listens to rewrite the
widget's feature document when the entry was featured.

entries_listed(sender=Entry, entries=list[Entry], user=User): sent by the "My entries" page with
the author's entries. Each receiver answers {entry id: {key: value}}; the page adds those keys to
the entry's row (moderation answers "appeal": whether and until when the fan may appeal, or the
appeal's status), so the page can offer what the apps above offer without importing them.
entry_withdrawn(sender=Entry, entry=Entry): sent inside the transaction in which its author
withdrew an entry (any state). Moderation listens to resolve the entry's open reports in it.

entry_allowed(sender=Entry, author=User, campaign=Campaign): sent by check_can_enter, when a fan
asks for an upload slot and again when the entry is created. A receiver refuses by raising
config.errors.DomainError (Signal.send lets it through to the caller). Moderation refuses fans
blocked by the brand's rules.

entry_ready_for_review(sender=Entry, entry=Entry): sent inside the processing transaction, right
after the entry became pending, with its row locked. A receiver may add flags, hold the entry
(`held`) or move it on (e.g. reject it with submissions.services.entry_transition); it saves what
it changes. Moderation applies the brand's automatic rules here.
"""

from django.dispatch import Signal

entry_left_public = Signal()
entries_listed = Signal()
entry_withdrawn = Signal()
entry_allowed = Signal()
entry_ready_for_review = Signal()
