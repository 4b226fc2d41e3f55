"""The shared core, which knows no feature: the solver layer (:mod:`.solver`), the workbook
toolkit (:mod:`.workbook`), input issues (:mod:`.issues`) and command-line plumbing
(:mod:`.cli`)."""
