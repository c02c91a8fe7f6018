// The dashboards' charts (Chart.js 3 from Debian's libjs-chart.js, /vendor/chartjs). Progressive
// enhancement: every number is also in the table under its chart. Each canvas carries its data
// as HTML-escaped JSON in its data-chart attribute (no script element in the page: the CSP
// allows no inline script, and nothing a name holds can close one); amounts come as minor units with their exponent, and each value's
// text as the page shows it (the page's language), which the tooltips repeat.
"use strict";
(() => {
  const palette = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#d63384"];
  const draw = (canvas) => {
    if (!canvas.dataset.chart || typeof Chart === "undefined") return;
    const chart = JSON.parse(canvas.dataset.chart);
    const language = document.documentElement.lang || "en";
    const datasets = chart.series.map((series, index) => {
      const scale = series.exponent ? Math.pow(10, series.exponent) : 1;
      const colour = palette[index % palette.length];
      return {
        label: series.label,
        data: series.values.map((value) => value / scale),
        display: series.display,
        borderColor: colour,
        backgroundColor: chart.type === "line" ? colour : colour + "cc",
        tension: 0.2,
        fill: false,
      };
    });
    new Chart(canvas, {
      type: chart.type,
      data: { labels: chart.labels, datasets },
      options: {
        locale: language,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: chart.stacked },
          // Counts step by whole numbers; amounts as Chart.js spaces them.
          y: { stacked: chart.stacked, beginAtZero: true, ticks: chart.series.some((series) => series.currency) ? {} : { precision: 0 } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: (item) => `${item.dataset.label}: ${item.dataset.display[item.dataIndex]}`,
            },
          },
        },
      },
    });
  };
  const start = () => document.querySelectorAll("canvas[data-chart]").forEach(draw);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
