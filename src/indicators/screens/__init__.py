"""What each page shows, computed without Streamlit: a page resolves its view (`indicators.links`)
into choices, a function here turns the choices and the base into a dataclass (values, classes,
tables, texts, chart specs), and the page only renders it. The exports and the tests read the same
dataclasses, so a file and the screen cannot disagree."""
