"""The oracle: indexes protocol events and pokes tasks whose next step anyone may trigger."""
