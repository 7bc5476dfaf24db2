"""Comparer: a group side by side, similar territories, the programme against a comparison group,
a transparent composite profile, and the groups themselves."""
from __future__ import annotations

import streamlit as st

from indicators import territories
from indicators.paths import db_path
from indicators.text import md
from ui import comparer_views as views
from ui import access, data, effect_views, state, widgets

con = data.require_database()
st.title("Comparer")
P = state.ComparerView.param
followed = widgets.territory_sidebar(con)

c1, c2 = st.columns([2, 3])
# A group composed in the link (members and start year in the URL): shareable, never stored.
linked = state.read(P("membres"))
link_row, link_members = territories.link_group(con, linked, state.read(P("debut"))) if linked else (None, None)
with c1:
    group = widgets.group_select(con, "Groupe", link_group=link_row)
members = link_members if group["id"] == territories.LINK_GROUP else territories.group_members(con, group["id"])
start = territories.start_text(group)
st.caption(f"{md(group['description'] or '')} Début du programme : {md(start)}. "
           f"Source : {md(group['source'])}. {len(members)} membres.")

SECTIONS = dict(zip(state.COMPARER_SECTIONS, ("Tableau", "Territoires semblables", "Effet du programme",
                                                "Profil d'attractivité", "Gérer les groupes"), strict=True))
if not access.can_write():  # a public instance shows the groups, never their editing: groups live in the link
    SECTIONS["groupes"] = "Composer un groupe"
view = st.segmented_control("Vue", list(SECTIONS), format_func=SECTIONS.get, key="w_vue_c",
                            default=state.read(P("vue"), list(SECTIONS), "tableau")) or "tableau"
state.write(P("vue"), view)

if members.empty:
    st.info("Ce groupe n'a pas encore de membre.")
elif view == "tableau":
    with c2:
        inds = widgets.indicators_multiselect(con)
    views.members_table(con, members, inds)
    st.subheader("Détail d'un indicateur")
    views.ranks_detail(con, members, widgets.indicator_select(con, "Indicateur du détail", P("detail")), group["name"])
elif view == "similaires":
    views.similar(con, members, followed)
elif view == "effet":
    effect_views.effect(con, group, members, followed)
elif view == "profil":
    views.profile(con, members)
if view == "groupes" and access.can_write() and group["id"] != territories.LINK_GROUP:
    views.manage(con, group, members, followed, db_path())
elif view == "groupes":
    views.compose_in_link(con, followed, members["code"].tolist())
