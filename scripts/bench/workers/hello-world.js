// The hello-world reference Worker of `npm run bench`: the least a Worker can do for a request.
export default {
  fetch() {
    return new Response("Hello World!");
  },
};
