"""The query side in one object: question in, verified and cited ``Answer`` out.

Why an object: the loaded index, the encoder and the BM25 index are expensive to
build and shared by every question of every user; the app swaps in a fresh
``HybridRetriever`` after an upload without a restart. Everything else is plain
functions in the modules this one calls, each step timed.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from index import settings
from index.embedder import load_query_encoder
from index.store import IndexReader, open_index
from index.types import Document, Paragraph

from . import abstain, crosslingual, document_facts, learned_answer, plans, sentence_choice
from .answers import RELATED_NOTE, abstention, stated_answer, verified_answer
from .citations import make_citation
from .extractive import compose, compose_chosen, widener
from .followup import Resolution, resolve
from .inputs import BadQuestion, clean_question
from .reader import load_reader
from .retrieve import HybridRetriever, document_context
from .types import Answer, Citation, Filters, Turn
from .word_vectors import WordVectors
from .word_vectors import store_path as word_store_path

log = logging.getLogger(__name__)



@dataclass
class Facets:
    """What a user can restrict a search to, read from the index metadata."""

    documents: list[tuple[str, str]]  # (doc_id, title), by title
    bodies: list[str]
    parties: list[str]
    authors: list[str]


class Engine:
    """Answers questions over one index directory; safe to call from many threads."""

    def __init__(self, index_dir: str | Path | None = None, model: str | None = None,
                 generator: Any = None, reranker: Any = None, answer_step: str | None = None) -> None:
        self.index_dir = settings.index_dir(index_dir)
        self.model = settings.model_name(model)
        if generator is None:
            from .generative import generator_from_env

            generator = generator_from_env()
        self.generator = generator  # rag.generative.Generator or None (extractive)
        if reranker is None:
            from .rerank import reranker_from_env

            reranker = reranker_from_env()
        self.reranker = reranker  # rag.rerank.Reranker or None
        self._lock = threading.Lock()
        self.retriever = self._load()
        # the learned answer step (rag/learned_answer.py) when asked for and its weights load, else the rules;
        # the rules load no reader
        self.answer_step = settings.answer_step(answer_step)
        self.answer_reader, self.decision, self.sentence_choice = None, None, None
        if self.answer_step == "fitted":
            self.sentence_choice = self._load_sentence_choice()
            if self.sentence_choice is None:
                self.answer_step = "rules"
        if self.answer_step == "learned":
            self.answer_reader, self.decision = self._load_learned()
            if self.answer_reader is None or self.decision is None:
                self.answer_step = "rules"
        # English questions' word vectors, shared on disk by every index of the model (rag/word_vectors.py)
        self.word_vectors = WordVectors(self.retriever.encoder, word_store_path(settings.cache_dir(), self.model))
        self._asking = 0  # questions being answered now: a word prefetch waits for them
        self._warmer: threading.Thread | None = None
        self._warm_stop = threading.Event()  # set when a newer warm-up (after a reload) replaces this one

    # ---------------------------------------------------------------- lifecycle

    def _load(self) -> HybridRetriever:
        reader = open_index(self.index_dir, expect_model=self.model)
        return HybridRetriever(reader, load_query_encoder(self.model))

    @staticmethod
    def _load_learned() -> tuple[Any, Any]:
        """The reader and the fitted decision; (None, None), with a warning, when either cannot be had."""
        try:
            reader, decision = load_reader(), learned_answer.Decision.load()
        except Exception as exc:  # a broken export or card must not cost the user their answers
            log.warning("learned answer step unavailable (%s: %s); answering by the rules", type(exc).__name__, exc)
            return None, None
        if reader is None or decision is None:
            log.warning("learned answer step has no weights (rag/weights/); answering by the rules")
        return reader, decision

    @staticmethod
    def _load_sentence_choice() -> "sentence_choice.SentenceChoice | None":
        """The fitted sentence choice; None, with a warning, when its file is missing or unreadable."""
        try:
            model = sentence_choice.SentenceChoice.load()
        except Exception as exc:  # a damaged file must not cost the user their answers
            log.warning("fitted answer step unavailable (%s: %s); answering by the rules", type(exc).__name__, exc)
            return None
        if model is None:
            log.warning("fitted answer step has no weights (rag/weights/sentence_choice.json); answering by the rules")
        return model

    def reload(self) -> None:
        """Pick up a new index generation (after a build), replacing the old one atomically."""
        fresh = self._load()
        with self._lock:
            self.retriever = fresh
        if self._warmer is not None:  # an upload brings new words
            self.warm_word_vectors()

    def warm_word_vectors(self, wait: bool = False) -> threading.Thread:
        """Embed the index's most frequent words ahead of English questions, in a background thread.

        Why: a first English question otherwise embeds up to 200 source words on the spot
        (150–500 ms); with them known it takes what a Swedish one does. Once per machine
        and model: the vectors are kept on disk. The thread pauses while questions run.
        """
        reader = self.retriever.reader
        self._warm_stop.set()  # a warm-up still running for the previous index stops: its words are stale
        stop = self._warm_stop = threading.Event()

        def run() -> None:
            started = time.perf_counter()
            try:
                texts = (p.text for p in reader.iter_paragraphs())
                details = (f"{d.title}\n{document_context(d)}" for d in reader.documents.values())
                vocabulary = crosslingual.vocabulary(itertools.chain(details, texts))
                embedded = self.word_vectors.prefetch(vocabulary, should_pause=lambda: self._asking > 0, stop=stop)
                log.info("word vectors ready: %d words (%d embedded now) in %.1f s", len(vocabulary), embedded,
                         time.perf_counter() - started)
            except Exception as exc:  # only a speed-up: a failure must not touch the questions
                log.warning("word vector prefetch stopped (%s: %s)", type(exc).__name__, exc)

        thread = threading.Thread(target=run, name="kallkoll-word-vectors", daemon=True)
        self._warmer = thread
        thread.start()
        if wait:
            thread.join()
        return thread

    @property
    def reader(self) -> IndexReader:
        return self.retriever.reader

    def add_documents(self, paths: list[Path], progress: Callable[[float, str], None] | None = None):
        """Index ``paths`` in addition to what the index already holds, then serve the new index."""
        from index.build import build_index

        sources = [Path(p) for p in self.reader.manifest.get("sources", [])]
        keep = [p for p in sources if p.exists()]
        summary = build_index(keep + [Path(p) for p in paths], self.index_dir, self.model,
                              progress=progress, show_progress=False)
        self.reload()
        return summary

    # ---------------------------------------------------------------- browsing

    def facets(self) -> Facets:
        docs = self.reader.documents.values()
        values = lambda key: sorted({d.meta.get(key, "") for d in docs} - {""})  # noqa: E731
        parties = sorted({p.strip() for d in docs for p in d.meta.get("party", "").replace("/", ",").split(",")}
                         - {""})
        return Facets(sorted(((d.doc_id, d.title) for d in docs), key=lambda t: t[1].lower()),
                      values("body"), parties, values("author"))

    def _places(self) -> set[str]:
        """Municipalities and bodies of the indexed documents (a question naming one is about it)."""
        reader = self.retriever.reader
        if getattr(self, "_places_of", (None,))[0] is not reader:
            self._places_of = (reader, {d.meta.get("body", "") for d in reader.documents.values()} - {""})
        return self._places_of[1]

    def document(self, doc_id: str) -> tuple[Document, list[Paragraph]] | None:
        """A whole document (metadata and paragraphs) for the "open document" view."""
        doc = self.reader.documents.get(doc_id)
        if doc is None:
            return None
        return doc, self.reader.paragraphs_of(doc_id)

    # ---------------------------------------------------------------- asking

    def ask(self, question: object, history: list[Turn] | None = None, filters: Filters | None = None,
            k: int = 5, *, plans_: bool = True) -> Answer:
        """Answer ``question``; never raises for bad input (the answer says what was wrong).

        ``plans_=False`` answers it as one fact question (what a plan asks for each part or side).
        """
        with self._lock:
            self._asking += 1
        try:
            return self._ask(question, history, filters, k, plans_)
        finally:
            with self._lock:
                self._asking -= 1

    def _ask(self, question: object, history: list[Turn] | None, filters: Filters | None, k: int,
             plans_: bool = True) -> Answer:
        started = time.perf_counter()
        try:
            text, notice = clean_question(question)
        except BadQuestion as exc:
            shown = str(question or "")[:200].encode("utf-8", "replace").decode("utf-8")  # no lone surrogates
            return Answer(question=shown, answer=str(exc), abstained=True, mode="error",
                          timings_ms={"total": _ms(started)})
        retriever = self.retriever
        k = max(1, min(int(k), 20))
        res = resolve(text, list(history or []))
        if res.question != text:
            note = f"Tolkad som: ”{res.question}”"
            notice = f"{notice} {note}".strip() if res.kind != "author" else notice
        if res.kind == "author":
            answer = self._author_answer(text, res, retriever)
            answer.notice = notice
            answer.timings_ms = {"retrieve": 0.0, "answer": _ms(started), "total": _ms(started)}
            return answer

        if res.place and not (filters and filters.bodies):
            bodies = {d.meta.get("body") for d in retriever.reader.documents.values()}
            if res.place in bodies:  # "Och i Stockholm?" means: the same question, Stockholm's documents
                filters = dataclasses.replace(filters or Filters(), bodies=(res.place,))
        asked = plans.Asked(self, text, res.question, filters)
        chosen = plans.choose(asked) if plans_ and self.generator is None else None
        if chosen:  # a question of another kind than one fact: its plan answers (rag/plans/)
            plan, matched = chosen
            answer = plan.answer(matched, asked)
            answer.plan = plan.NAME
            return _finished(answer, notice, res.question, {"answer": _ms(started)}, started)
        t0 = time.perf_counter()
        # the words the evidence checks look for: the question's own, or for an English question the
        # Swedish words of the sources that translate them (rag/crosslingual.py)
        vector = retriever.embed_query(res.question)  # meaning from the sentence as asked, in any language
        translation = self.search_words(res.question, vector, filters)
        query = translation.rewritten if translation else res.question
        if translation:
            notice = f"{notice} {crosslingual.notice(translation)}".strip()
        hits = retriever.search(query, k=max(k, 8) + len(res.exclude), filters=filters, query_vector=vector)
        hits = [h for h in hits if (h.doc_id, h.number) not in res.exclude]
        if self.reranker is not None and hits:
            texts = [(retriever.reader.paragraph(h.doc_id, h.number) or Paragraph(h.doc_id, h.number, "", 0, 0)).text
                     for h in hits]
            hits = self.reranker.rerank(res.question, hits, texts)
        t_retrieve = _ms(t0)

        t1 = time.perf_counter()
        citations = [make_citation(retriever.reader, h, i + 1) for i, h in enumerate(hits[:k])]
        contexts = [document_context(retriever.reader.documents[c.doc_id]) for c in citations]
        fact = document_facts.asked_fact(res.question)
        found = fact and document_facts.fact_answer(fact, query, citations, contexts, retriever,
                                                    abstain.places_named(query, self._places()))
        if found:  # the document's own date or signature, quoted from its letterhead or signature block
            stated, used = found
            if used:
                answer = stated_answer(text, stated, used)
            else:  # the document asked about does not state it
                answer = abstention(text, citations)
                answer.answer, answer.mode = f"{stated} {RELATED_NOTE}", "metadata"
            answer.notice, answer.resolved_question = notice, res.question
            answer.timings_ms = {"retrieve": t_retrieve, "answer": _ms(t1), "total": _ms(started)}
            return answer
        if self.answer_step == "learned" and self.generator is None:
            return _finished(self._learned(res.question, query, citations, hits[:k], text), notice, res.question,
                             {"retrieve": t_retrieve, "answer": _ms(t1)}, started)
        if self.answer_step == "fitted" and self.generator is None:
            return _finished(self._fitted(text, query, citations, hits[:k], contexts, translation is not None),
                             notice, res.question, {"retrieve": t_retrieve, "answer": _ms(t1)}, started)
        decision = abstain.decide(query, hits, [c.text for c in citations], retriever.lexical,
                                  bodies=[c.meta.get("body", "") for c in citations], places=self._places(),
                                  contexts=contexts, crosslingual=translation is not None)
        if self.generator is not None and not decision.abstain:
            try:
                answer = self.generator.answer(text, res.question, citations)
            except Exception as exc:  # a down LLM server must not cost the user their answer
                answer = self._extractive(text, query, citations, decision)
                answer.notice = f"Språkmodellen svarade inte ({type(exc).__name__}); visar citat i stället."
        else:
            answer = self._extractive(text, query, citations, decision)
        answer.notice = " ".join(p for p in (notice, answer.notice) if p)
        answer.resolved_question = res.question
        answer.timings_ms = {"retrieve": t_retrieve, "answer": _ms(t1), "total": _ms(started)}
        return answer

    def search_words(self, question: str, vector, filters: Filters | None = None) -> crosslingual.Translation | None:
        """For an English question, its words looked up in the paragraphs its meaning finds; None for Swedish.

        Engine.ask and the evaluation both search with ``rewritten``, so the measured recall is the product's.
        """
        if not crosslingual.is_foreign(question):
            return None
        retriever = self.retriever
        found = retriever.search(question, k=crosslingual.SOURCE_PARAGRAPHS, filters=filters, query_vector=vector)
        # BM25 over English words matches only names: "How many security cameras will Huddinge install?"
        # put the paragraphs saying "Huddinge" most first, and the camera paragraph, first by meaning, 8th
        listed = {(h.doc_id, h.number) for h in found}
        found += [h for h in retriever.search(question, k=crosslingual.MEANING_PARAGRAPHS, filters=filters,
                                              query_vector=vector, use_lexical=False)
                  if (h.doc_id, h.number) not in listed]
        texts = [p.text for h in found if (p := retriever.reader.paragraph(h.doc_id, h.number))]
        texts += [document_context(retriever.reader.documents[d]) for d in dict.fromkeys(h.doc_id for h in found)
                  if d in retriever.reader.documents]
        return crosslingual.translate(question, texts, self.word_vectors)

    def _extractive(self, question: str, resolved: str, citations: list[Citation],
                    decision: abstain.Decision) -> Answer:
        if decision.abstain or not citations:
            return abstention(question, citations)
        named = abstain.places_named(resolved, self._places())
        if named:  # "… i Stockholm?" is answered with what Stockholm's documents say, never Huddinge's
            citations = [c for c in citations if abstain.is_about(c.text, c.meta.get("body", ""), named)] or citations
        return verified_answer(question, *compose(resolved, self.retriever.lexical, citations,
                                                   self._headed(citations)), citations)

    def _headed(self, citations: list[Citation]) -> set[str]:
        """The cited documents with more than one paragraph: their title heads text and answers nothing itself."""
        reader = self.retriever.reader
        return {c.doc_id for c in citations if reader.paragraph(c.doc_id, 2) is not None}

    def _fitted(self, shown: str, words: str, citations: list[Citation], hits: list, contexts: list[str],
                crosslingual_: bool) -> Answer:
        """The sentences the fitted model says answer, or "not found" (rag/sentence_choice.py)."""
        named = abstain.places_named(words, self._places())
        rows = list(zip(citations, [h.dense for h in hits], contexts))
        if named:  # "… i Stockholm?" is answered with what Stockholm's documents say, never Huddinge's
            rows = [r for r in rows if abstain.is_about(r[0].text, r[0].meta.get("body", ""), named)]
        if not rows:
            return abstention(shown, citations)
        kept, dense, ctx = (list(t) for t in zip(*rows))
        found = sentence_choice.candidates(words, kept, dense, self.retriever.lexical, ctx, crosslingual_,
                                           self._headed(kept))
        chosen = sentence_choice.choose(found, self.sentence_choice)
        widen = widener(self.retriever.lexical, words, self._headed(kept))
        return verified_answer(shown, *compose_chosen(chosen, citations, widen), citations)

    def _learned(self, question: str, words: str, citations: list[Citation], hits: list, shown: str) -> Answer:
        """The reader's span in the best paragraphs, if the fitted decision says it answers (rag/learned_answer.py).

        ``question`` is what the reader reads (as asked, in any language); ``words`` the
        question in the sources' words, for the coverage signal.
        """
        named = abstain.places_named(words, self._places())
        pairs = list(zip(citations, [h.dense for h in hits]))
        if named:  # "… i Stockholm?" is answered with what Stockholm's documents say, never Huddinge's
            pairs = [(c, d) for c, d in pairs if abstain.is_about(c.text, c.meta.get("body", ""), named)]
            if not pairs:
                return abstention(shown, citations)
        kept, dense = [c for c, _ in pairs], [d for _, d in pairs]
        found = learned_answer.candidates(question, kept, dense, self.answer_reader, self.decision,
                                          self.retriever.lexical, words)
        return verified_answer(shown, *learned_answer.compose(found, self.decision), citations)

    def _author_answer(self, question: str, res: Resolution, retriever: HybridRetriever) -> Answer:
        """"Vem skrev det?": the signature of the document the previous answer cited first."""
        prev = res.previous.answer.citations[0]
        doc = retriever.reader.documents.get(prev.doc_id)
        if not doc or not doc.meta.get("author"):
            return Answer(question=question, abstained=True, mode="metadata",
                          answer=f"Dokumentet ”{prev.title}” anger ingen författare.")
        found = document_facts.document_fact("signer", doc.doc_id, retriever)
        if not found:
            return Answer(question=question, abstained=True, mode="metadata",
                          answer=f"Jag hittar ingen underskrift i ”{doc.title}”.")
        return stated_answer(question, *found)


def _finished(answer: Answer, notice: str, resolved: str, timings: dict[str, float], started: float) -> Answer:
    """What every answer carries out of ``Engine.ask``: the input notice before its own, the question
    searched, and the step timings with the total."""
    answer.notice = " ".join(p for p in (notice, answer.notice) if p)
    answer.resolved_question = resolved
    answer.timings_ms = {**timings, "total": _ms(started)}
    return answer


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0
