// What a Discogs collection CSV export says about a record (Catalog#, Artist, Title, Label, Format,
// Rating, Released, release_id, folder, date added): artist, title, label with catalogue number,
// formats and year. No genres, no styles, no master id, no country, no community stats. The warm-start
// scenario hands imported keepers to the learners in this view, as the product's importer
// (shared/import/csv.ts) would read them.
import type { Release } from '../schemas';

export function csvExportView(r: Release): Release {
  // Every field is listed, so that a new Release field has to be decided on here.
  return {
    id: r.id,
    masterId: null,
    title: r.title,
    artists: r.artists.slice(),
    labels: r.labels.map((l) => ({ name: l.name, catno: l.catno })),
    year: r.year,
    released: r.released,
    country: null,
    genres: [],
    styles: [],
    formats: r.formats.map((f) => ({ name: f.name, qty: f.qty, descriptions: f.descriptions.slice() })),
    community: { have: null, want: null, rating: null, ratingCount: null },
    lowestPrice: null,
    thumb: null,
  };
}
