"""Hostile and broken inputs: a generated corpus (:mod:`.corpus`, built on a valid workbook from
:mod:`.factory` and zips written byte by byte by :mod:`.rawzip`), a runner that sends each item
through the tool in a limited child process (:mod:`.runner`, :mod:`.child`) and the
``sourcing robustness`` command (:mod:`.cli`)."""
