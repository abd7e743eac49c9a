"""Retrieval over the corpus and the user's notes: chunking, embeddings, FAISS + BM25, cited answers."""

from tutor.retrieval.retriever import Hit, Retriever, build, load_retriever, status

__all__ = ["Hit", "Retriever", "build", "load_retriever", "status"]
