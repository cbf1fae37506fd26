"""Writing: templates, annotated and scored copies, summaries, terminal text, LibreOffice."""
