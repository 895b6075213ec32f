"""Signals submissions sends for the apps above it (which it must not import).

entry_left_public(sender=Entry, entry=Entry): sent after the commit that took an approved or
featured entry out of public view (its author withdrew it). Moderation listens to rewrite the
widget's feature document when the entry was featured.
"""

from django.dispatch import Signal

entry_left_public = Signal()
