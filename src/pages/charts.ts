/**
 * Charts for the pages, drawn on the server by Apache ECharts' SSR SVG renderer: the page gets an
 * SVG string, no chart script runs in the browser. Colours follow the health bands.
 */
import * as echarts from 'echarts';

export const BAND_COLOURS: Record<string, string> = { green: '#2e9d5b', yellow: '#d9a400', red: '#d64545' };
export const OTHER_COLOUR = '#8a8f98';
export const bandColour = (band: string | null | undefined) => BAND_COLOURS[band ?? ''] ?? OTHER_COLOUR;

/** Renders one ECharts option to an SVG string (no animation: a server has no frames to show). */
export function renderChart(option: echarts.EChartsOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: 'DejaVu Sans, sans-serif' }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
