/**
 * Text on the in-world boards' canvases: lines that fit a width, and a column of cards.
 */

/** Up to maxLines lines of text that fit in width (the last one cut with an ellipsis). */
export function wrapText(ctx, text, width, maxLines) {
  const words = text.replace(/\s+/g, " ").trim().split(" ");
  const lines = [];
  let line = "";
  for (const word of words) {
    const candidate = line ? `${line} ${word}` : word;
    if (ctx.measureText(candidate).width <= width || !line) {
      line = candidate;
      continue;
    }
    lines.push(line);
    line = word;
    if (lines.length === maxLines) break;
  }
  if (lines.length < maxLines && line) lines.push(line);
  else if (line && lines.length === maxLines) lines[maxLines - 1] = `${lines[maxLines - 1]}…`;
  return lines;
}

/**
 * A board's column: a shaded box from top down to floor with its heading (ink, headSize px,
 * headOffset below top), then its cards top down from cardsY while they fit above bottom:
 * each a filled box of up to maxLines lines of text (and a smaller line below them, meta, if
 * given), extra pixels taller than its lines, gap apart. The cards that do not fit are counted
 * in a last line, more(n), at the column's foot.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} heading
 * @param {{text: string, fill: string, meta?: string}[]} cards
 * @param {{x: number, top: number, floor: number, inner: number, pad: number, shade: string, ink: string,
 *   headSize: number, headOffset: number, cardsY: number, textSize: number, maxLines: number, extra: number,
 *   bottom: number, gap: number, more: (n: number) => string}} layout
 * @returns {number} how many cards were drawn (the first ones)
 */
export function drawColumn(ctx, heading, cards, layout) {
  const { x, top, floor, inner, pad, ink, textSize } = layout;
  ctx.fillStyle = layout.shade;
  ctx.fillRect(x, top, inner, floor - top);
  ctx.fillStyle = ink;
  ctx.font = `700 ${layout.headSize}px system-ui, sans-serif`;
  ctx.fillText(heading, x + pad * 0.5, top + layout.headOffset, inner - pad);
  let y = layout.cardsY;
  let shown = 0;
  const lineHeight = textSize * 1.2;
  for (const card of cards) {
    ctx.font = `500 ${textSize}px system-ui, sans-serif`;
    const wrapped = wrapText(ctx, card.text, inner - pad * 1.5, layout.maxLines);
    const cardHeight = wrapped.length * lineHeight + layout.extra;
    if (y + cardHeight > layout.bottom) break;
    ctx.fillStyle = card.fill;
    ctx.fillRect(x + pad * 0.25, y, inner - pad * 0.5, cardHeight);
    ctx.fillStyle = "#1d1d1b";
    wrapped.forEach((line, row) => ctx.fillText(line, x + pad * 0.75, y + pad * 0.3 + row * lineHeight, inner - pad * 1.5));
    if (card.meta !== undefined) {
      ctx.font = `400 ${Math.round(textSize * 0.8)}px system-ui, sans-serif`;
      ctx.fillStyle = "#4a4a44";
      ctx.fillText(card.meta, x + pad * 0.75, y + pad * 0.3 + wrapped.length * lineHeight, inner - pad * 1.5);
    }
    y += cardHeight + layout.gap;
    shown += 1;
  }
  if (shown < cards.length) {
    ctx.fillStyle = ink;
    ctx.font = `600 ${textSize}px system-ui, sans-serif`;
    ctx.fillText(layout.more(cards.length - shown), x + pad * 0.5, floor - textSize, inner - pad);
  }
  return shown;
}
