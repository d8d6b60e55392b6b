#!/usr/bin/python3
"""Writes owner.tsv and impostor.tsv: the typing samples the system tier plays through QMP.

They are synthetic recordings made for this project (no dataset was used): one text of our
own, typed by two made-up typists whose rhythm differs the way a regular user and a
stranger at the same desk differ: the owner is quick and even, with faster common
digraphs; the impostor is slower, uneven and holds keys longer. Each line is
`qcode <TAB> gap_ms <TAB> hold_ms`: wait gap_ms after the previous press, press, release
hold_ms later (so fast typists overlap keys, as real ones do). Deterministic (fixed seeds):
rerun to regenerate the same files.

The text repeats, the timing does not: every keystroke is a fresh draw from the typist's
distribution, so the profile learns a spread, not one recording replayed. owner.tsv is
ENROLL rows to enroll on, then HELD_OUT rows never enrolled on (the genuine control: the
owner typing later must not be locked); impostor.tsv is the stranger at the same desk.
Sizes: the shipped engine matures after at least 800 keystrokes (min_enroll_keystrokes),
with half the recent digraphs seen 5 times (about 5 passes of this text, ~1200 keystrokes);
ENROLL leaves a margin above that.
"""
import random

TEXT = (
    "the thin client on the front desk stays unlocked while the owner fetches coffee "
    "and a visitor sits down to read the open mail before anyone notices the screen "
    "keeps a quiet record of every rhythm it has learned over many weeks of work "
)
QCODE = {" ": "spc"}
FAST = {"th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "st", "es", "or", "te"}


ENROLL, HELD_OUT, IMPOSTOR = 1600, 600, 800


def typist(seed, count, gap_mean, gap_sd, digraph_gain, hold_mean, hold_sd):
    rng = random.Random(seed)
    rows, prev = [], " "
    for i in range(count):
        ch = TEXT[i % len(TEXT)]
        gap = rng.gauss(gap_mean, gap_sd) * (digraph_gain if prev + ch in FAST else 1.0)
        if ch == " " or prev == " ":
            gap *= 1.15
        hold = rng.gauss(hold_mean, hold_sd)
        rows.append((QCODE.get(ch, ch), max(35, round(gap)), max(30, round(hold))))
        prev = ch
    return rows


def write(name, rows):
    with open(name, "w") as f:
        for q, gap, hold in rows:
            f.write(f"{q}\t{gap}\t{hold}\n")


if __name__ == "__main__":
    # The owner: quick and even, fast on common digraphs. The impostor: slower, less even,
    # longer holds, no practised digraphs; different, but not a caricature.
    write("owner.tsv", typist(7, ENROLL + HELD_OUT, 135, 30, 0.7, 85, 14))
    write("impostor.tsv", typist(11, IMPOSTOR, 215, 65, 0.95, 120, 25))
