export default function Audit() {
  return <p>Coming soon.</p>;
}
