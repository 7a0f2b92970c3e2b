import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { escapeXml, lineChart, reliabilityDiagram, scatterPlot, ticks } from '../../shared/sim/svg';

/** Parses the SVG as XML (throws on malformed markup) and counts elements by name. */
function elements(svg: string): Map<string, number> {
  const counts = new Map<string, number>();
  const parser = new SaxesParser();
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (t) => counts.set(t.name, (counts.get(t.name) ?? 0) + 1));
  parser.write(svg).close();
  return counts;
}

describe('svg charts', () => {
  it('draws one line per series and a band only where intervals are given', () => {
    const svg = lineChart(
      [
        { name: 'seed', points: [0, 1, 2].map((x) => ({ x, y: x * 2, lo: x * 2 - 1, hi: x * 2 + 1 })) },
        { name: 'random', points: [0, 1, 2].map((x) => ({ x, y: x })), dashed: true },
      ],
      { title: 'Cumulative keepers', xLabel: 'batch', yLabel: 'keepers' },
    );
    const el = elements(svg);
    expect(el.get('svg')).toBe(1);
    expect(el.get('path')).toBe(2);
    expect(el.get('polygon')).toBe(1);
    expect(svg).toContain('stroke-dasharray');
  });

  it('escapes user-controlled text (policy and user names)', () => {
    const evil = '<script>alert("x")</script> & co';
    const svg = lineChart([{ name: evil, points: [{ x: 0, y: 1 }, { x: 1, y: 2 }] }], { title: evil, xLabel: 'b', yLabel: 'k' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain(escapeXml(evil));
    expect(() => elements(svg)).not.toThrow();
    expect(elements(svg).get('script')).toBeUndefined();
  });

  it('places reliability points at (mean probability, observed share) and skips empty bins', () => {
    const svg = reliabilityDiagram(
      [{ name: 'seed', bins: [{ lo: 0, hi: 0.5, count: 10, meanProb: 0.25, fracPositive: 0.2 }, { lo: 0.5, hi: 1, count: 0, meanProb: 0, fracPositive: 0 }] }],
      { title: 'Reliability', width: 660, height: 460 },
    );
    expect(elements(svg).get('circle')).toBe(1);
    // x = 60 + 0.25 * (640 - 60) = 205 on a 660-wide chart.
    expect(svg).toMatch(/<circle cx="205"/);
  });

  it('draws every scatter point in its group colour', () => {
    const svg = scatterPlot(
      [
        { name: 'keeper', color: '#d62728', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        { name: 'not keeper', color: '#9e9e9e', points: [{ x: 0.5, y: 0.2 }] },
      ],
      { title: 'map', xLabel: 'u1', yLabel: 'u2' },
    );
    expect(svg.match(/r="3" fill="#d62728"/g)).toHaveLength(2);
    expect(svg.match(/r="3" fill="#9e9e9e"/g)).toHaveLength(1);
    expect(() => elements(svg)).not.toThrow();
  });

  it('picks round tick values inside the range', () => {
    expect(ticks(0, 50)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 3)).toEqual([3]);
  });
});
