/*
 * Following the bottom while text streams in. Whether to follow is the reader's choice, kept in a flag
 * that scrolling changes: scrolling up stops it, coming back near the bottom resumes it. Only updates
 * move the view: a section the reader opens or folds does not.
 *
 * Every scroll repaints the whole view, and without a GPU that is by far the dearest thing the page does
 * (about ten times a frame that adds a line), so the view does not move for each new line. The
 * transcript ends in a runway of empty space (its bottom padding, transcript.css); new lines fill it and
 * the view moves only once the last line reaches the bottom edge, by the runway's height at once. The
 * check runs once the frame's layout is done (a ResizeObserver on the transcript), so it never forces a
 * layout of its own, and steps the page lays out lazily are measured at their real size.
 */

let following = true;
let followPending = false;
let followedTo = 0;
let transcriptEl = null;
let runwayPx = 0;
let hasRunway = false;

function nearBottom() {
  const root = document.scrollingElement;
  return root.scrollHeight - root.scrollTop - window.innerHeight < 48;
}

function measureRunway() {
  runwayPx = parseFloat(getComputedStyle(transcriptEl).paddingBottom) || 0;
}

function onScroll() {
  if (nearBottom()) following = true;
  else if (document.scrollingElement.scrollTop < followedTo - 1) following = false;
}

function onTranscriptResize() {
  // The last line's bottom edge, relative to the view: the runway below it does not count.
  const textBottom = transcriptEl.getBoundingClientRect().bottom - runwayPx;
  const tall = textBottom + document.scrollingElement.scrollTop + 48 > window.innerHeight;
  if (tall !== hasRunway) {
    hasRunway = tall;
    document.documentElement.classList.toggle("runway", tall);
    measureRunway(); // the padding changes; the text stays where it is
  }
  followBottom(textBottom);
}

function followBottom(textBottom) {
  if (!following || !followPending) return;
  const root = document.scrollingElement;
  if (textBottom > window.innerHeight - 2) {
    const bottom = root.scrollHeight - window.innerHeight;
    if (bottom > root.scrollTop) window.scrollTo(0, bottom);
  }
  followedTo = root.scrollTop;
}

/* Start following the transcript element (once the page is loaded). */
export function followTranscript(transcript) {
  transcriptEl = transcript;
  measureRunway();
  window.addEventListener("resize", measureRunway, { passive: true });
  window.addEventListener("scroll", onScroll, { passive: true });
  new ResizeObserver(onTranscriptResize).observe(transcript);
}

/* An update changed the transcript: the next layout may move the view. */
export function noteUpdate() {
  followPending = true;
}

/* The reader opened or folded sections: the view stays where it is, and keeps following only if the
   bottom is still in view (opening pushes it down; folding pulls it up to the reader). */
export function afterReaderFold() {
  following = nearBottom();
  followPending = false;
}
