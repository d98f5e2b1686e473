// Package report is what the pages eval writes share: the HTML templates'
// frame (head, foot, a facts table), their functions, every figure
// embedded as a data URI so that a report.html is one self-contained file
// that loads nothing from a network, the number formats of the text
// (percentages, thousands separators, plurals), the JSON layout of the
// files next to the page, and the figures more than one page draws (an
// image grid, a heat-map palette), drawn with gonum/plot in package
// figures' style.
//
// The pages themselves live with what they report on: the evaluation of a
// run in report/evaluation, the comparison of runs in report/compare, the
// profile of a data source in data/profile.
package report
