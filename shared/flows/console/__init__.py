"""The shop's console (issue 17): who may enter, and the data of each read-only page.

Each page's data is a function of a Firestore client, the page's query and a clock, returning
typed rows; ``functions/boundary/console/`` renders them (HTML, SVG, CSV). Nothing here writes.
"""
