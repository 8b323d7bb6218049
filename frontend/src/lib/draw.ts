// Skeleton overlay: keypoints above the score threshold and the limbs between them.
import { EDGES, type Keypoint } from './skeleton';

const COLOURS = ['#22d3ee', '#f472b6', '#a3e635', '#facc15', '#fb923c', '#c084fc'];

export function drawPoses(
  context: CanvasRenderingContext2D,
  poses: { keypoints: Keypoint[]; person: number }[],
  threshold: number,
): void {
  const { width, height } = context.canvas;
  context.clearRect(0, 0, width, height);
  const radius = Math.max(3, Math.round(Math.min(width, height) / 120));
  context.lineWidth = Math.max(2, radius / 1.5);
  for (const pose of poses) {
    const colour = COLOURS[pose.person % COLOURS.length];
    context.strokeStyle = colour;
    context.fillStyle = colour;
    for (const [a, b] of EDGES) {
      const [ax, ay, as] = pose.keypoints[a];
      const [bx, by, bs] = pose.keypoints[b];
      if (as < threshold || bs < threshold) continue;
      context.beginPath();
      context.moveTo(ax, ay);
      context.lineTo(bx, by);
      context.stroke();
    }
    for (const [x, y, score] of pose.keypoints) {
      if (score < threshold) continue;
      context.beginPath();
      context.arc(x, y, radius, 0, 2 * Math.PI);
      context.fill();
    }
  }
}
