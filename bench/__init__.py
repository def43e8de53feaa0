"""`make bench`: this project against the stock build (../shared/bench/stock_build), side by side in one run.

Every measured run gets a fresh emulator: this project's (moto with the fidelity layer) and, for the
stock build, the same emulator started `--plain` (moto as it is), so both sides' AWS API calls come
from the same call record. Figures are printed and written as JSON; nothing here asserts on time.
"""
