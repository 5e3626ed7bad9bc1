import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';
import { createApp } from 'vue';
import App from './App.vue';
import { session, setUnauthorizedHandler } from './api';
import { router } from './router';
import './style.css';

// A 401 anywhere: back to the sign-in page, then to where the person was.
setUnauthorizedHandler(() => {
  session.me = null;
  const here = router.currentRoute.value;
  if (!here.meta.public) void router.push({ path: '/login', query: here.fullPath === '/' ? {} : { next: here.fullPath } });
});

createApp(App).use(router).mount('#app');
