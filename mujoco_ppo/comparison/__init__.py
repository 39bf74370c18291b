"""The comparison with PARL: PARL's logs of every shape read as runs, the marks, bands and
verdicts of a comparison, and the digitiser of PARL's published figures."""
