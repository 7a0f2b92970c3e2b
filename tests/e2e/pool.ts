// An invented candidate pool for the e2e backend (keepers-jsonl lines, the format `keepers import` reads):
// enough unlabelled records for two batches of 20. Deterministic: the same file every run.
const GENRES: [string, string[]][] = [
  ['Electronic', ['Techno', 'Deep House', 'Ambient', 'Downtempo']],
  ['Jazz', ['Hard Bop', 'Modal', 'Soul-Jazz']],
  ['Rock', ['Post-Punk', 'Shoegaze', 'Krautrock']],
  ['Funk / Soul', ['Soul', 'Disco']],
];
const LABELS = ['Halcyon Records', 'Ferry Audio', 'Northern Tide', 'Quiet Hours', 'Blue Cellar'];

export function poolLines(count = 60): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const [genre, styles] = GENRES[i % GENRES.length]!;
    lines.push(
      JSON.stringify({
        release_id: 2_000_000 + i,
        title: `Invented Record ${i}`,
        artists: [`Test Artist ${i % 17}`],
        labels: [LABELS[i % LABELS.length]],
        year: 1965 + ((i * 7) % 58),
        genres: [genre],
        styles: [styles[i % styles.length], styles[(i + 1) % styles.length]],
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}
