"""The plant rows of templates/experiments/_roster.html (the overview), rendered in Python:
at 1,000 rows per page the Jinja macro cost ~23 µs a row; this costs a fraction. Every value
is escaped with markupsafe."""

from __future__ import annotations

from markupsafe import Markup, escape

# The check icon of templates/_macros.html (icon('check', 14)): SVG beside a word, never a
# glyph that a phone without the font shows as an empty box.
CHECK = ('<svg class="icon icon-check" viewBox="0 0 24 24" width="14" height="14"'
         ' aria-hidden="true" focusable="false" fill="none" stroke="currentColor"'
         ' stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
         '<path d="M4 12.5l5 5L20 6.5"/></svg>')


def roster_rows(rows, plant_href: str, back: str) -> Markup:
    out = []
    href, back = escape(plant_href), escape(back)
    for r in rows:
        p, recipe = r.plant, r.location.recipe
        tags = [f'<span class="tag">{escape(p.grade)}</span>' if p.grade
                else '<span class="tag tag-missing">no grade</span>']
        if recipe is not None:
            colour = escape(recipe.colour or "grey")
            tags.append(f'<span class="tag"><span class="swatch swatch-{colour}"'
                        f' aria-hidden="true"></span>{escape(recipe.code)}</span>')
        tags.append(f'<span class="tag">{CHECK} baseline</span>' if r.has_baseline
                    else '<span class="tag tag-missing">no baseline</span>')
        removed = p.status == "removed"
        if removed:
            tags.append('<span class="tag tag-missing">removed</span>')
        cultivar = f" ‘{escape(p.cultivar)}’" if p.cultivar else ""
        uid = escape(p.uuid)
        out.append(
            f'<li id="plant-{uid}"><a class="plant-link{" removed" if removed else ""}" '
            f'href="{href}{uid}{back}"><span class="plant-code">{escape(p.plant_code)}</span>'
            f'<span class="plant-species">{escape(p.species_name)}{cultivar}</span>'
            f'<span class="plant-tags">{" ".join(tags)}</span></a></li>')
    return Markup("\n".join(out))  # noqa: S704 - every interpolated value is escaped above
