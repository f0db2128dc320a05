"""``kb ask QUESTION``: a question in English or Chinese (either script, no spaces needed), answered
from the base, deterministically and explainably, and never with another question's answer.

1. The question is read once (``question``): its punctuation and dates taken out, folded once.
2. It is cut into pieces (``resolve.segment``) against the base's names (regions at every level,
   mechanisms, instruments, blockages, record names) and the question words (``words``): record kinds,
   places to group by, money, amounts, counts, when, comparisons. What is left (``names``) is looked up
   as real places (a gazetteer of China's divisions and the world's countries: a place the base does not
   hold is answered "none"), as names and phrases the base's text holds (南开大学: they narrow the answer
   to the records holding them; long runs are cut into the stretches the text holds), as names it does
   not hold, and as the words of a metric (技术合同成交额).
3. The pieces become filters of ``kb query`` (records) or, for an amount or a count, of ``kb figures``
   (numbers, with the date as the figures' period; figures held by vocabulary terms and by linked
   records count). When nothing matches every part (``relax``), the framing is left out first, then
   topic terms while another part remains; places, named records and organisations and a named metric
   never are.
4. The records are ranked (``rank``) by the question's own words and the figures that answer it, each
   with those figures and one quote; the answer says whether it is exact, partial (and what it could not
   honour) or none (and what the base lacks, with related material under its own key).
"""

from __future__ import annotations

from .answer import Answer, ask
from .interpret import Interpretation, interpret
from .question import Question
from .words import read_dates

__all__ = ["Answer", "Interpretation", "Question", "ask", "interpret", "read_dates"]
