"""``litedse app``: a local what-if page (Streamlit, the optional extra ``[app]``). ``knobs`` says
which assumptions the page's sliders move; ``page.py`` is the Streamlit script."""
