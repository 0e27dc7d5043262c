/**
 * What every course email and page says unless its course.md words it its own way. Here, apart from
 * the footer that shows it, so that reading courses does not load React.
 */
export const DISCLAIMER =
  'This course is education, not medical advice. Talk to a qualified practitioner or doctor about your own situation.'
