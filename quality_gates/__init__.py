"""Quality gates on the labeled corpus: immutable snapshots, Great Expectations checks that
decide whether a snapshot is worth training on, and the growth-triggered retraining decision."""
