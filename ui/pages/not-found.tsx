export const NotFound = () => (
  <section>
    <h1>Not found</h1>
    <p>
      No such page. <a href="#/">Back to the overview</a>.
    </p>
  </section>
);
