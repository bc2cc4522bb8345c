"""Vector memory of findings: embedding text, embedders, the Qdrant index, label suggestions."""
