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
"""

from django.dispatch import Signal

entry_left_public = Signal()
entries_listed = Signal()
entry_withdrawn = Signal()
