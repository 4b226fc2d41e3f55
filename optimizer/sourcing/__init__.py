"""The spine: workbook -> validate -> build -> solve -> readout -> views -> report.

* :mod:`.schema` the input workbook's sheets; :mod:`.template` writes it;
* :mod:`.validate` reads and checks a workbook into :class:`models.data.SourcingData`;
  :mod:`.overrides` applies a named scenario;
* :mod:`.run` builds, solves and reads back one run (:mod:`.readout`, :mod:`.explain`,
  :mod:`.tts`) into a :class:`.result.RunResult`;
* :mod:`.views` computes every figure a person sees; :mod:`.report` writes the result
  workbook from it, :mod:`.cli` the terminal summary, and the web app its page;
* :mod:`.cli` registers ``template``, ``validate`` and ``solve``.
"""
