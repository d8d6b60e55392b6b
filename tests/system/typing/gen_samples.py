#!/usr/bin/python3
"""Writes owner.tsv and impostor.tsv: the typing samples the system tier plays through QMP.

They are synthetic recordings made for this project (no dataset was used): one text of our
own, typed by two made-up typists whose rhythm differs the way a regular user and a
stranger at the same desk differ: the owner is quick and even, with faster common
digraphs; the impostor is slower, uneven and holds keys longer. Each line is
`qcode <TAB> gap_ms <TAB> hold_ms`: wait gap_ms after the previous press, press, release
hold_ms later (so fast typists overlap keys, as real ones do). Deterministic (fixed seeds):
rerun to regenerate the same files.
"""
import random

TEXT = (
    "the thin client on the front desk stays unlocked while the owner fetches coffee "
    "and a visitor sits down to read the open mail before anyone notices the screen "
    "keeps a quiet record of every rhythm it has learned over many weeks of work "
)
QCODE = {" ": "spc"}
FAST = {"th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "st", "es", "or", "te"}


def typist(seed, gap_mean, gap_sd, digraph_gain, hold_mean, hold_sd):
    rng = random.Random(seed)
    rows, prev = [], " "
    for ch in TEXT:
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
    write("owner.tsv", typist(7, 135, 30, 0.7, 85, 12))
    write("impostor.tsv", typist(11, 260, 95, 1.0, 140, 35))
